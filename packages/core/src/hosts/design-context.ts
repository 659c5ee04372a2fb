import { findAttribute, getResourceType } from "../catalog/index.js";
import type { AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import type { ResourceDoc } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import type { ResourceState } from "../model/states.js";
import type { Host } from "../engine/host.js";
import type { ResourceContext, ResourceHandle } from "../engine/resource-manager.js";

/**
 * What a manager sees of a resource of a design that is not running: its attribute values
 * (defaults applied) and nothing of a run. Enough for a host's `reach()`; anything that needs a
 * run says so.
 */
export class DesignResourceContext implements ResourceContext {
  readonly expId = "design";
  readonly runId = "none";
  // Outside a run nothing is retried.
  readonly attempt = 1;
  readonly runScope: object = {};
  private readonly info: ResourceTypeInfo;
  private abort?: AbortController;

  constructor(private readonly r: ResourceDoc) {
    this.info = getResourceType(r.type);
  }

  get guid(): number {
    return this.r.guid;
  }
  get rtype(): string {
    return this.r.type;
  }
  get label(): string | undefined {
    return this.r.label;
  }
  get runDir(): string {
    return this.notInRun("a run directory");
  }
  get signal(): AbortSignal {
    return (this.abort ??= new AbortController()).signal;
  }
  get(name: string): AttributeValue | undefined {
    return this.r.attributes[name] ?? findAttribute(this.info, name)?.default;
  }
  state(): ResourceState {
    return "NEW";
  }
  enabledTraces(): string[] {
    return [];
  }
  connected(): ResourceHandle[] {
    return [];
  }
  host(): Host {
    return this.notInRun("a host lent by a run");
  }
  resource(): ResourceHandle {
    return this.notInRun("other resources");
  }
  finished(): void {}
  failed(): void {}
  log(): void {}
  outsidePool<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  private notInRun(what: string): never {
    throw new NepiError("WRONG_STATE", `${this.r.type} guid ${this.r.guid} has ${what} only in a run`);
  }
}
