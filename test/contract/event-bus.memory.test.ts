// Runs the EventBus contract against the in-memory bus.
import { createMemoryEventBus } from '#shared/adapters/memory/event-bus.ts';
import { eventBusContract } from './event-bus.contract.ts';

eventBusContract('memory', async (opts) => ({ bus: createMemoryEventBus(opts), cleanup: async () => {} }));
