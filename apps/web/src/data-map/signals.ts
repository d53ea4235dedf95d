// What a run's memorization is: one of the memorization signals (libs/cartography
// MEMORIZATION_SIGNALS), named by Run.memorizationSignal and the data map's
// gdc.memorizationSignal. Names, units and one-line explanations for labels. Pure.

export interface SignalInfo {
  /** Short name, lower case ("loss drop"). */
  name: string;
  /** Unit for axis labels ("nats"), or null for a ratio or a fraction. */
  unit: string | null;
  /** What it is, in one line (Te, Tl: the run's early and late epochs). */
  explanation: string;
}

/** One entry per signal of libs/cartography's MEMORIZATION_SIGNALS, in its order. */
export const SIGNALS = {
  lossDrop: { name: "loss drop", unit: "nats", explanation: "mean loss of the first Te epochs − mean loss of the last Tl epochs" },
  relativeLossDrop: { name: "relative loss drop", unit: null, explanation: "1 − mean loss of the last Tl epochs ÷ mean loss of the first Te epochs" },
  excessLossDrop: {
    name: "excess loss drop",
    unit: null,
    explanation: "how far (in ln) the late loss ended below that of examples in this run whose early loss was as high (least-squares fit)",
  },
  accuracyGain: { name: "accuracy gain", unit: null, explanation: "mean accuracy of the last Tl epochs − mean accuracy of the first Te epochs" },
  meanLoss: { name: "mean loss", unit: "nats", explanation: "mean loss over all epochs (the C-score's cumulative-loss proxy)" },
  forgetFrequency: { name: "forget frequency", unit: null, explanation: "forget events ÷ (T − 1): the paper's memorization" },
} as const satisfies Record<string, SignalInfo>;

export type MemorizationSignal = keyof typeof SIGNALS;

/** The signal's info; an unknown name is shown as it is. */
export function signalInfo(signal: string | null | undefined): SignalInfo | null {
  if (!signal) return null;
  return (SIGNALS as Record<string, SignalInfo | undefined>)[signal] ?? { name: signal, unit: null, explanation: signal };
}

/** The data map's y-axis label: "memorization: loss drop (nats)", "memorization: forget frequency". */
export function memorizationAxisLabel(signal: string | null | undefined): string {
  const info = signalInfo(signal);
  if (!info) return "memorization";
  return `memorization: ${info.name}${info.unit ? ` (${info.unit})` : ""}`;
}

/** The signals in libs/cartography's order; each is also an ExampleScore field of that name. */
export const SIGNAL_FIELDS = Object.keys(SIGNALS) as MemorizationSignal[];
