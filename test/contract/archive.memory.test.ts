// Runs the Archive contract against the in-memory archive.
import { createMemoryArchive } from '#shared/adapters/memory/archive.ts';
import { archiveContract } from './archive.contract.ts';

archiveContract('memory', async () => ({ archive: createMemoryArchive(), cleanup: async () => {} }));
