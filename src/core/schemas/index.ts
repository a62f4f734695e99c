export * from './params.js';
export * from './requests.js';
export * from './records.js';
export * from './public.js';
export * from './responses.js';
export * from './parse.js';
export * from './wire.js';
export * from './grants.js';
