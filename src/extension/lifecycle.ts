// A Disposable base class: everything a component creates is registered and released together; anything registered
// after disposal is released at once (the vscode-pull-request-github pattern).

import type * as vscode from 'vscode';

export abstract class DisposableBase implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private disposedFlag = false;

  protected get isDisposed(): boolean {
    return this.disposedFlag;
  }

  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this.disposedFlag) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    // reverse order: later registrations may depend on earlier ones
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // one failing dispose must not leak the rest
      }
    }
  }
}

/** Wraps an unsubscribe function as a Disposable. */
export function toDisposable(fn: () => void): vscode.Disposable {
  return { dispose: fn };
}
