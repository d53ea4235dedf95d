export { exposureByRank, exposureBySkewNormal, exposureUnderFit } from "./exposure.ts";
export {
  fitSkewNormal,
  skewNormalCdf,
  skewNormalLogCdf,
  skewNormalLogPdf,
  skewNormalLogLikelihood,
  MAX_SHAPE,
  type SkewNormal,
  type SkewNormalFit,
} from "./skewNormal.ts";
export { owensT } from "./owensT.ts";
export { normalCdf, normalLogCdf, normalPdf } from "./normal.ts";
export {
  createCanaries,
  CANARY_FRAMES,
  canaryExamples,
  sampleReferenceSecrets,
  type Canary,
  type CanaryExample,
  type CanaryOptions,
  type CanarySet,
} from "./canaries.ts";
export { auditCanaries, type CanaryAuditOptions, type CanaryAuditResult, type CanaryFinding, type RepetitionSummary } from "./audit.ts";
