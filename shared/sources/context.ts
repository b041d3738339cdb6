// The normalizers' view of the configuration.
import type { Config } from '../config.ts';
import type { NormalizeContext } from './source.ts';

/** What the normalizers read from the configuration. */
export function normalizeContextOf(config: Config): NormalizeContext {
  return {
    keyRules: config.keys,
    metadataKeys: config.processor.metadataKeys,
    logisticsReferencePrefixes: config.keys.logisticsReferencePrefixes,
    warehouseColumns: config.warehouse.columns,
  };
}
