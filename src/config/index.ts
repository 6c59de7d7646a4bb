export type * from './types.js';
export { loadConfig, CONFIG_FILE_NAME, type LoadedConfig, type LoadConfigOptions } from './load-config.js';
export { validateConfig, CONFIG_SCHEMA_PATH } from './validate-config.js';
export { expandEnv } from './expand-env.js';
export { embeddedDefaultConfig, DEFAULT_BUNDLE_PATH, GUIDE_ROLES } from './default-config.js';
