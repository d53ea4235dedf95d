import type { StudyPassage } from "./corpus.ts";
import { BUNDLED_CORPORA, bundledStudyCorpus, DEFAULT_STUDY_CORPUS } from "./corpus.ts";
import { assertCorpusChoice, parseConfig, studyConfigSchema, type StudyConfig } from "./config.ts";
import { DEFAULT_CANARIES, DEFAULT_REFERENCES, DEFAULT_SEEDS, QUICK_STUDY, type InterventionStudyOptions, type StudyTrainingConfig } from "./study.ts";

/**
 * A study configuration (validated here with the one schema; a ConfigError names the field) →
 * runInterventionStudy's options: the quick or full defaults, the corpus (`own`: a dataset
 * version's or a corpus file's, else the bundled one it names), synthetic canaries (by default
 * only when the corpus has none), training overrides on top of the defaults, seeds and
 * references. The one assembly `gdc study` and the study job share.
 */
export function resolveStudyOptions(input: StudyConfig, own: { corpus: StudyPassage[]; corpusSource: string } | null): InterventionStudyOptions {
  const config = parseConfig(studyConfigSchema, input);
  assertCorpusChoice(config, own !== null);
  const quick = config.quick === true;
  let corpus: StudyPassage[];
  let corpusSource: string;
  if (own) {
    ({ corpus, corpusSource } = own);
  } else {
    const name = config.corpus ?? "moby-dick";
    corpus = bundledStudyCorpus({ name, limit: config.passages ?? (quick ? QUICK_STUDY.corpusLimit : DEFAULT_STUDY_CORPUS.limit) });
    corpusSource = `${BUNDLED_CORPORA[name].source}, ${corpus.length} passages`;
  }
  const hasCanaries = corpus.some((p) => p.canary);
  const canaries =
    config.canaries === false
      ? null
      : config.canaries || !hasCanaries
        ? { ...(quick ? QUICK_STUDY.canaries : DEFAULT_CANARIES), ...(config.canaries || {}) }
        : null;
  const training: Partial<StudyTrainingConfig> = {
    ...(quick ? QUICK_STUDY.training : {}),
    ...(config.training ?? {}),
    ...(config.epochs === undefined ? {} : { epochs: config.epochs }),
  };
  return {
    corpus,
    corpusSource,
    canaries,
    training,
    scoring: config.scoring ?? {},
    seeds: config.seeds ?? (quick ? [...QUICK_STUDY.seeds] : [...DEFAULT_SEEDS]),
    references: config.references ?? (quick ? QUICK_STUDY.references : DEFAULT_REFERENCES),
    ...(config.equalSteps === undefined ? {} : { equalSteps: config.equalSteps }),
    ...(config.auditEqualSteps === undefined ? {} : { auditEqualSteps: config.auditEqualSteps }),
    ...(config.prunePercent === undefined ? {} : { prunePercent: config.prunePercent }),
    ...(config.downweight === undefined ? {} : { downweight: config.downweight }),
  };
}
