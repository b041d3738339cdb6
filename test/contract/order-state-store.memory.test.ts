import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { orderStateStoreContract } from './order-state-store.contract.ts';

orderStateStoreContract('memory', async () => ({ store: createMemoryOrderStateStore(), cleanup: async () => {} }));
