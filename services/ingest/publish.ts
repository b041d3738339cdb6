// The durable hand-off of ingest: archive the raw payload and its events, then publish the events.
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { isAnchor } from '#shared/domain/refs.ts';
import type { Archive, ArchiveEntry } from '#shared/ports/archive.ts';
import type { BusMessage, EventBus } from '#shared/ports/event-bus.ts';
import type { RenderedEntry } from '#shared/adapters/sqlite/archive.ts';

/** The ordering key of an event before matching: the order it names, else its first reference. */
export function orderingKeyOf(event: CanonicalEvent): string {
  return (event.refs.find(isAnchor) ?? event.refs[0]) as string;
}

/**
 * The bus message carrying one canonical event. The event id travels as the `eventId` attribute (every
 * sink dedupes on it, DESIGN §11) and, when known, the archived raw payload's id as `rawId` (the
 * BigQuery subscription writes it into `events.raw_id`).
 */
export function toMessage(event: CanonicalEvent, rawId?: string, json: string = JSON.stringify(event)): BusMessage {
  return {
    id: event.id,
    orderingKey: orderingKeyOf(event),
    attributes: { eventId: event.id, system: event.system, kind: event.kind, ...(rawId !== undefined ? { rawId } : {}) },
    data: json,
  };
}

/**
 * Archives the entries, then publishes their events. Both are durable when it resolves, so a
 * sender may be acknowledged. A crash in between leaves archived events unpublished; the archive
 * is the replay source that recovers them, and every sink dedupes on the event id.
 */
export async function archiveAndPublish(deps: { readonly archive: Archive; readonly bus: EventBus }, entries: readonly ArchiveEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  await deps.archive.append(entries);
  const messages = messagesOf(entries);
  await deps.bus.publish(messages);
  return messages.length;
}

/**
 * The bus messages of archived entries, in order: one per canonical event, naming its raw payload.
 * `rendered`, when given, holds each event's JSON as the archive stored it (`renderEntries`), reused
 * as the message data.
 */
export function messagesOf(entries: readonly ArchiveEntry[], rendered?: readonly RenderedEntry[]): BusMessage[] {
  return entries.flatMap((e, i) => e.events.map((event, j) => toMessage(event, e.raw.id, rendered?.[i]?.events[j]?.json)));
}

/** An archive entry for a payload that already is a canonical event (the `canonical` source). */
export function canonicalEntry(event: CanonicalEvent): ArchiveEntry {
  return {
    raw: { id: event.id, system: 'canonical', topic: event.kind, receivedAt: event.receivedAt, headers: {}, body: JSON.stringify(event) },
    events: [event],
  };
}
