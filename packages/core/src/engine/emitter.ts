/** A minimal typed event emitter that works in browsers and Node alike. */
export class Emitter<Events extends Record<string, unknown>> {
  private listeners: { [K in keyof Events]?: Array<(event: Events[K]) => void> } = {};

  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void {
    (this.listeners[name] ??= []).push(listener);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): void {
    const list = this.listeners[name];
    if (!list) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  protected emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const list = this.listeners[name];
    if (!list) return;
    // A listener that throws must not stop the engine nor the other listeners.
    for (const l of list.length === 1 ? list : [...list]) {
      try {
        l(event);
      } catch (err) {
        console.error(`nepi: a "${String(name)}" listener threw:`, err);
      }
    }
  }
}
