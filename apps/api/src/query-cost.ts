import { getNullableType, isListType } from "graphql";
import type { ComplexityEstimator } from "graphql-query-complexity";

/**
 * Highest estimated cost accepted. Each field costs 1 plus its children's cost, times `first`
 * where the field takes one (connections' `edges` and `nodes` do not multiply again), times 10 for other
 * lists of objects. E.g. a review queue page of 500 with example, proposer and reviews ≈ 12 k.
 * Its own module (`@gdc/api/query-cost`) so that the web's document test checks against this
 * estimator instead of a copy.
 */
export const MAX_QUERY_COMPLEXITY = 25_000;
const UNPAGED_LIST_ESTIMATE = 10;

export const costEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.name.startsWith("__")) return 0;
  if (typeof args.first === "number") return 1 + Math.max(0, args.first) * childComplexity;
  const list = isListType(getNullableType(field.type)) && field.name !== "edges" && field.name !== "nodes";
  return 1 + (list ? UNPAGED_LIST_ESTIMATE : 1) * childComplexity;
};
