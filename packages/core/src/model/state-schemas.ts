import { z } from "zod";
import { RESOURCE_ACTIONS, RESOURCE_STATES, type ResourceAction, type ResourceState } from "./states.js";

/** A resource state, as a schema. */
export const ResourceStateSchema = z.enum(RESOURCE_STATES as [ResourceState, ...ResourceState[]]);
/** A condition's action, as a schema. */
export const ResourceActionSchema = z.enum(RESOURCE_ACTIONS as [ResourceAction, ...ResourceAction[]]);
