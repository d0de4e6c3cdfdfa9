// The runtime layer specs of a variant graph now live beside the graph (src/graph/model-spec.ts),
// so that `check` can plan every target from them; this module keeps the old import path.
export * from '../graph/model-spec.js';
