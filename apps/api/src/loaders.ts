import DataLoader from "dataloader";
import {
  datasetsByIds,
  examplesByIds,
  exampleScoresByKeys,
  exampleWeightsByKeys,
  interventionCountsOfVersions,
  interventionsByIds,
  latestStudiesOfVersions,
  releasesOfVersions,
  reviewsOfInterventions,
  runExampleCounts,
  runsByIds,
  runsOfVersions,
  usersByIds,
  versionCanaryCounts,
  versionExampleCounts,
  versionsByIds,
  versionsOfDatasets,
  versionStatusesByIds,
  type Database,
  type Dataset,
  type DatasetVersion,
  type Example,
  type ExampleScoreRow,
  type Intervention,
  type Release,
  type Review,
  type Run,
  type Study,
  type User,
} from "@gdc/db";

/**
 * Per-request batch loaders (created in buildContext, dropped with the request: nothing is
 * cached across requests). Each is one libs/db batch read (libs/db/src/queries/batch.ts), so a
 * field asked of every item of a list costs one query for the whole list, not one per item.
 * Keys are ids, or "<owner id>:<example id>" pairs. The row and count loaders batch but do not
 * cache (`cache: false`): a field read after a mutation in the same operation sees its effect.
 */
export interface Loaders {
  /** An example's score in a run. */
  exampleScore: DataLoader<string, ExampleScoreRow | null>;
  /** An example's weight in a version (null: not a member). */
  exampleWeight: DataLoader<string, number | null>;
  /** A version's status by version id (null: no such version), e.g. for every item of a review queue page. */
  versionStatus: DataLoader<string, string | null>;
  dataset: DataLoader<string, Dataset | null>;
  version: DataLoader<string, DatasetVersion | null>;
  example: DataLoader<string, Example | null>;
  run: DataLoader<string, Run | null>;
  user: DataLoader<string, User | null>;
  intervention: DataLoader<string, Intervention | null>;
  /** A dataset's versions, oldest first. */
  versionsOfDataset: DataLoader<string, DatasetVersion[]>;
  /** A version's runs, newest first. */
  runsOfVersion: DataLoader<string, Run[]>;
  releaseOfVersion: DataLoader<string, Release | null>;
  latestStudyOfVersion: DataLoader<string, Study | null>;
  versionExampleCount: DataLoader<string, number>;
  versionCanaryCount: DataLoader<string, number>;
  runExampleCount: DataLoader<string, number>;
  /** An intervention's reviews, oldest first. */
  reviewsOfIntervention: DataLoader<string, Review[]>;
  /** Keys "<version id>:<status>" (status empty: all): DatasetVersion.interventions totalCount. */
  versionInterventionCount: DataLoader<string, number>;
}

export function createLoaders(db: Database): Loaders {
  const cached = <V>(batch: (db: Database, keys: readonly string[]) => Promise<V[]>) => new DataLoader<string, V>((keys) => batch(db, keys));
  const loader = <V>(batch: (db: Database, keys: readonly string[]) => Promise<V[]>) => new DataLoader<string, V>((keys) => batch(db, keys), { cache: false });
  return {
    exampleScore: cached(exampleScoresByKeys),
    exampleWeight: cached(exampleWeightsByKeys),
    versionStatus: cached(versionStatusesByIds),
    dataset: loader(datasetsByIds),
    version: loader(versionsByIds),
    example: loader(examplesByIds),
    run: loader(runsByIds),
    user: loader(usersByIds),
    intervention: loader(interventionsByIds),
    versionsOfDataset: loader(versionsOfDatasets),
    runsOfVersion: loader(runsOfVersions),
    releaseOfVersion: loader(releasesOfVersions),
    latestStudyOfVersion: loader(latestStudiesOfVersions),
    versionExampleCount: loader(versionExampleCounts),
    versionCanaryCount: loader(versionCanaryCounts),
    runExampleCount: loader(runExampleCounts),
    reviewsOfIntervention: loader(reviewsOfInterventions),
    versionInterventionCount: loader(interventionCountsOfVersions),
  };
}
