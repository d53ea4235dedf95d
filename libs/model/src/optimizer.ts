/**
 * Adam with global-norm gradient clipping. Written here rather than using tf.train.adam because
 * a checkpoint must restore the optimizer *exactly*: tf's Adam recomputes its β-power
 * accumulators with pow() on restore, which differs in float32 from the running product and
 * makes a resumed run drift from an uninterrupted one. Here the state is (step, m, v) and the
 * bias correction is computed in float64 on the host.
 */
import * as tf from "@tensorflow/tfjs";
import type { SerializedWeights } from "./model.ts";

export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Rescale gradients whose global L2 norm exceeds this; null disables clipping. */
  clipNorm?: number | null;
}

export interface OptimizerState {
  step: number;
  firstMoments: SerializedWeights;
  secondMoments: SerializedWeights;
}

export class AdamOptimizer {
  private readonly variables: tf.Variable[];
  private readonly names: string[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number | null;
  step = 0;

  constructor(variables: tf.Variable[], names: string[], config: AdamConfig) {
    this.variables = variables;
    this.names = names;
    this.lr = config.learningRate;
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-8;
    this.clipNorm = config.clipNorm === undefined ? 1 : config.clipNorm;
    const zeros = (v: tf.Variable) => {
      const z = tf.zerosLike(v);
      const moment = tf.variable(z, false);
      z.dispose();
      return moment;
    };
    this.m = variables.map(zeros);
    this.v = variables.map(zeros);
  }

  /** One update from gradients given in the same order as the variables. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.variables.length) throw new Error("one gradient per variable expected");
    this.step += 1;
    const t = this.step;
    // Bias-corrected step size, in float64 on the host.
    const stepSize = (this.lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    tf.tidy(() => {
      let scale: tf.Scalar | null = null;
      if (this.clipNorm !== null) {
        const sq = tf.addN(grads.map((g) => tf.sum(tf.square(g))));
        const norm = tf.sqrt(sq);
        scale = tf.div(this.clipNorm, tf.maximum(norm, this.clipNorm)) as tf.Scalar;
      }
      grads.forEach((gRaw, i) => {
        const g = scale ? tf.mul(gRaw, scale) : gRaw;
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), this.epsilon));
        this.variables[i]!.assign(tf.sub(this.variables[i]!, update));
      });
    });
  }

  getState(): OptimizerState {
    const read = (vars: tf.Variable[]): SerializedWeights =>
      vars.map((v, i) => ({ name: this.names[i]!, shape: [...v.shape], values: new Float32Array(v.dataSync() as Float32Array) }));
    return { step: this.step, firstMoments: read(this.m), secondMoments: read(this.v) };
  }

  setState(state: OptimizerState): void {
    const write = (vars: tf.Variable[], values: SerializedWeights, what: string): void => {
      if (values.length !== vars.length) throw new Error(`optimizer state: expected ${vars.length} ${what}, got ${values.length}`);
      values.forEach((w, i) => {
        if (w.name !== this.names[i]) throw new Error(`optimizer state: ${what} ${i} is for ${w.name}, expected ${this.names[i]}`);
        tf.tidy(() => vars[i]!.assign(tf.tensor(w.values, w.shape, "float32")));
      });
    };
    write(this.m, state.firstMoments, "first moments");
    write(this.v, state.secondMoments, "second moments");
    this.step = state.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
