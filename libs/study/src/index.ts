export {
  bundledStudyCorpus,
  parseCorpusJsonl,
  validateCorpus,
  DEFAULT_STUDY_CORPUS,
  StudyInputError,
  type StudyPassage,
  type StudyCanaryMark,
  type StudySplit,
} from "./corpus.ts";
export { buildStudyData, referenceAlphabet, type StudyData, type StudyExample, type AuditGroup } from "./examples.ts";
export {
  scoreBaseline,
  presentationPositions,
  forgetEventsOverPresentations,
  type ForgetEventUnit,
  type StudyScoringConfig,
  type StudyScores,
} from "./scoring.ts";
export {
  defaultStudyPolicies,
  curatedWeights,
  resolvePolicySpec,
  SUMMARY_POLICY,
  type StudyPolicy,
  type StudyPolicyKind,
  type StudyPolicySpec,
  type CuratedWeights,
} from "./policies.ts";
export { spreadOf, jaccard, pairwiseJaccard, type Spread, type PairwiseJaccard } from "./stats.ts";
export { summarize, PAPER_CLAIM, BEAT_RULE } from "./verdict.ts";
export {
  runInterventionStudy,
  DEFAULT_TRAINING,
  DEFAULT_CANARIES,
  DEFAULT_SEEDS,
  DEFAULT_REFERENCES,
  QUICK_STUDY,
  type InterventionStudyOptions,
  type StudyProgress,
  type StudyTrainingConfig,
} from "./study.ts";
export { renderStudyCharts, type StudyChart } from "./charts.ts";
export { renderStudyReport, renderStudyTable, type RenderOptions, type RenderedStudyReport } from "./render.ts";
export * from "./report-types.ts";
