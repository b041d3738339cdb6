// Pub/Sub single message transform (JavaScript UDF) on the BigQuery subscription "events-archive":
// maps a published canonical event onto the columns of the BigQuery events table
// (sql/tables/events.sql). The matcher's subscription gets the message untouched.
//
// In:  message.data is the canonical event JSON { id, source, system, kind, refs, occurredAt,
//      receivedAt, data }; message.attributes carries eventId, system, kind (and rawId when the
//      publisher sets it).
// Out: the row as JSON. Timestamps are microseconds since the epoch; data keeps the whole event;
//      seq (ingest order) stays null: only the archive adapter's own copy has one.
//      write_metadata adds subscription_name, message_id, publish_time and attributes.
// A message that is not a canonical event is passed through unchanged, so the write fails, is
// retried and ends in the dead-letter topic (and the dead_letters table) instead of being lost.
function toEventRow(message, metadata) {
  var event;
  try {
    event = JSON.parse(message.data);
  } catch (e) {
    return message;
  }
  if (event === null || typeof event !== 'object' || typeof event.id !== 'string') return message;
  var micros = function (instant) {
    var ms = Date.parse(instant);
    return isNaN(ms) ? null : ms * 1000;
  };
  var orderKey = null;
  var refs = Array.isArray(event.refs) ? event.refs : [];
  for (var i = 0; i < refs.length; i++) {
    if (typeof refs[i] === 'string' && refs[i].indexOf('order:') === 0) {
      orderKey = refs[i].slice('order:'.length);
      break;
    }
  }
  var attributes = message.attributes || {};
  return {
    data: JSON.stringify({
      event_id: event.id,
      raw_id: typeof attributes.rawId === 'string' && attributes.rawId !== '' ? attributes.rawId : null,
      system: event.system,
      kind: event.kind,
      order_key: orderKey,
      occurred_at: micros(event.occurredAt),
      received_at: micros(event.receivedAt),
      data: event,
      seq: null, // the archive clock: set only on the archive adapter's own copy
    }),
    attributes: attributes,
  };
}
