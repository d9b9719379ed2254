/**
 * A small L2-regularised logistic regression over sparse binary features, trained by full-batch
 * gradient descent. Deterministic: the same examples give the same weights on every runtime.
 */

/** One training example: its feature names and whether it belongs to the class. */
export interface LabelledFeatures {
  features: readonly string[];
  positive: boolean;
}

/** Options of {@link trainLogisticRegression}. */
export interface TrainLogisticRegressionOptions {
  /** Passes over the data. @default 300 */
  epochs?: number;
  /** Step size. @default 0.5 */
  learningRate?: number;
  /** L2 penalty on the weights (not the bias). @default 0.001 */
  l2?: number;
  /**
   * How much a positive example counts against a negative one; `'balanced'` makes both classes
   * weigh the same in total (the intent types are rare, so unweighted training under-reports them).
   * @default 1
   */
  positiveWeight?: number | 'balanced';
}

/** A trained binary classifier. */
export interface LogisticRegressionModel {
  /** The probability that features belong to the class. */
  probability(features: readonly string[]): number;
}

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));

/** Trains a binary classifier on labelled feature sets. */
export function trainLogisticRegression(
  examples: readonly LabelledFeatures[],
  options: TrainLogisticRegressionOptions = {},
): LogisticRegressionModel {
  const { epochs = 300, learningRate = 0.5, l2 = 0.001 } = options;
  const positives = examples.filter((example) => example.positive).length;
  const positiveWeight =
    options.positiveWeight === 'balanced'
      ? (examples.length - positives) / Math.max(positives, 1)
      : (options.positiveWeight ?? 1);
  const index = new Map<string, number>();
  const rows = examples.map((example) =>
    Int32Array.from(example.features, (feature) => {
      let position = index.get(feature);
      if (position === undefined) {
        position = index.size;
        index.set(feature, position);
      }
      return position;
    }),
  );
  const weights = new Float64Array(index.size);
  const gradient = new Float64Array(index.size);
  let bias = 0;
  const count = Math.max(examples.length, 1);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    gradient.fill(0);
    let biasGradient = 0;
    for (const [row, features] of rows.entries()) {
      let score = bias;
      for (const feature of features) score += weights[feature] ?? 0;
      const positive = examples[row]?.positive === true;
      const error = (sigmoid(score) - (positive ? 1 : 0)) * (positive ? positiveWeight : 1);
      biasGradient += error;
      for (const feature of features) gradient[feature] = (gradient[feature] ?? 0) + error;
    }
    for (let feature = 0; feature < weights.length; feature += 1) {
      const weight = weights[feature] ?? 0;
      weights[feature] = weight - learningRate * ((gradient[feature] ?? 0) / count + l2 * weight);
    }
    bias -= (learningRate * biasGradient) / count;
  }
  return {
    probability(features) {
      let score = bias;
      for (const feature of features) {
        const position = index.get(feature);
        if (position !== undefined) score += weights[position] ?? 0;
      }
      return sigmoid(score);
    },
  };
}
