// A tiny typed event source for the vscode-free model (vscode.EventEmitter cannot be used here, and node's
// EventEmitter would let one throwing listener stop the others).

export type Unsubscribe = () => void;

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener; one that throws is reported through onError and does not stop the rest. */
  fire(value: T, onError?: (err: unknown) => void): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        onError?.(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
