/** Provider webhooks: verified deliveries complete waiting tasks without waiting for a poll. */
export { createWebhookHandler, type WebhookHandlerOptions } from './webhook-handler.js';
export { StatusInbox, type StatusInboxOptions } from '../provider-kit/status-inbox.js';
export { verifyBflSignature, verifyFalSignature, verifyReplicateSignature, ed25519KeyFromJwk, type Jwk } from './verify.js';
