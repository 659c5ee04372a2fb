import { createContext, createElement, useContext, type ReactNode } from "react";
import { useStore, type StoreApi } from "zustand";

/**
 * A store handed down through React context, as xyflow does with its own: each editor (and each
 * test) makes its stores, and a component reads the one of the editor it is in.
 */
export function storeContext<S>(name: string) {
  const Context = createContext<StoreApi<S> | null>(null);

  function Provider({ store, children }: { store: StoreApi<S>; children?: ReactNode }) {
    return createElement(Context.Provider, { value: store }, children);
  }

  /** The store itself, for event handlers that read or act on it when they run. */
  function useApi(): StoreApi<S> {
    const store = useContext(Context);
    if (!store) throw new Error(`the ${name} is read outside its provider: render the component inside <EditorProvider>`);
    return store;
  }

  /** The part `selector` picks of the state; the component re-renders when that part changes. */
  function useSelect<T>(selector: (state: S) => T): T {
    return useStore(useApi(), selector);
  }

  return { Provider, useApi, useSelect };
}
