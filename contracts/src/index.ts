export * from './domain.ts';
export * from './errors.ts';
export * from './routing-protocol.ts';
export * from './http-api.ts';
export * from './sfu-protocol.ts';
export * from './validation.ts';
export * from './console.ts';
export * from './live.ts';
