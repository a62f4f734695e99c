import { createContext, createElement, type ReactNode, useContext } from 'react';
import type { ImageGenClient } from '../client/create-client.js';

const ClientContext = createContext<ImageGenClient | null>(null);

/** Props of {@link ImageGenProvider}. */
export interface ImageGenProviderProps {
  /** A client made by `createClient` from `imagegen-kit/client`; create it once, outside render. */
  client: ImageGenClient;
  children?: ReactNode;
}

/**
 * Gives the hooks below it their client.
 *
 * @example
 * const client = createClient({ token: () => localStorage.getItem('token') });
 * root.render(<ImageGenProvider client={client}><App /></ImageGenProvider>);
 */
export function ImageGenProvider({ client, children }: ImageGenProviderProps) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** Options every hook takes. */
export interface ClientHookOptions {
  /** Use this client instead of the one of the nearest {@link ImageGenProvider}. */
  client?: ImageGenClient;
}

/** The client of `options.client` or of the nearest {@link ImageGenProvider}; throws when there is neither. */
export function useImageGenClient(options: ClientHookOptions = {}): ImageGenClient {
  const fromContext = useContext(ClientContext);
  const client = options.client ?? fromContext;
  if (!client) throw new Error('imagegen-kit/react: wrap the component in <ImageGenProvider client={...}> or pass { client }');
  return client;
}
