import type { AnyActorRef, Subscription } from 'xstate';
import type { Subject } from 'rxjs';
import { stateString, type RuntimeStatusEvent } from './runtime-events.ts';

type LifecycleKind = Extract<RuntimeStatusEvent, { type: 'lifecycle' }>['kind'];

/**
 * Follows every actor under `root` as it is spawned and emits a `lifecycle`
 * event each time one changes state. Only state changes are reported, never
 * context updates, so a busy consumer adds nothing here.
 */
export function watchLifecycles(root: AnyActorRef, events: Subject<RuntimeStatusEvent>): void {
  const watched = new Map<AnyActorRef, Subscription>();

  const watch = (actor: AnyActorRef, kind: LifecycleKind, id: string): void => {
    if (watched.has(actor)) return;
    let previous: string | undefined;
    const onSnapshot = (snapshot: ReturnType<AnyActorRef['getSnapshot']>) => {
      const state = stateString(snapshot.value);
      if (state !== previous) {
        events.next({ type: 'lifecycle', id, kind, state, previous, ...(snapshot.context?.error ? { error: snapshot.context.error } : {}) });
        previous = state;
      }
      for (const child of Object.values(snapshot.children ?? {}) as AnyActorRef[]) {
        const childKind = kindOf(child);
        if (childKind) watch(child, childKind, (child as { systemId?: string }).systemId ?? child.id);
      }
    };
    watched.set(actor, actor.subscribe({ next: onSnapshot, error: () => {} }));
    onSnapshot(actor.getSnapshot());
  };

  watch(root, 'runtime', 'actorq');
}

function kindOf(actor: AnyActorRef): LifecycleKind | undefined {
  const id = (actor as { logic?: { id?: string } }).logic?.id;
  return id === 'driver' || id === 'queue' || id === 'consumer' || id === 'worker' ? id : undefined;
}
