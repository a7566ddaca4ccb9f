// Package ml trains and runs small classifiers deterministically: every
// worker that trains the same kind of model with the same hyper-parameters
// on the same examples obtains bit-identical weights, so the chain can
// compare workers' models by their Commitment.
//
// Three kinds are supported: multinomial logistic regression (Logistic), a
// multi-layer perceptron with one ReLU hidden layer and a softmax output
// (MLP), and k-nearest neighbours (KNN).
//
// # Determinism
//
// The package uses no floating point at all, not in training, inference,
// hyper-parameters or JSON parsing: every quantity is an int64 fixed-point
// number, every loop runs in a fixed order, no map iteration affects a
// result and no goroutines are used. Go defines integer arithmetic exactly
// (two's complement, truncating division, arithmetic right shift), so the
// results are the same on every platform.
//
// # Fixed-point scales
//
//   - Input features are pdv fixed-point values: units of 1/pdv.FeatureScale,
//     at most pdv.MaxFeature in magnitude.
//   - Features are standardized per dimension, z = (x − mean)/std, with an
//     integer mean (rounded) and an integer square root of the integer
//     variance, both stored in the model. A dimension whose std is 0 maps to
//     z = 0. z is in Q16 (units of 2^-16) and clamped to ±32.
//   - Weights, biases, logits and hidden activations are Q16. Weights are
//     clamped to ±256, hidden activations to [0, 4096], logits to ±2^24, and
//     back-propagated hidden errors to ±32, which together keep every
//     product and sum below 2^63 for any input within pdv's bounds and the
//     limits MaxDims, MaxClasses and MaxBatch (the derivation is next to
//     each computation).
//   - Softmax probabilities are Q30 internally. exp is computed by range
//     reduction by ln 2 and a degree-10 Taylor polynomial in Q30 (see
//     expQ30); its absolute error is below 2^-27.
//   - Hyper-parameter decimals (lr, l2) are in millionths.
//   - Scores returned by Predict and Infer are in parts per million
//     (ScoreScale): softmax probabilities for logistic and MLP, the share of
//     the k neighbours' votes for KNN.
//
// Training uses mini-batch gradient descent on the cross-entropy loss with
// L2 weight decay (not applied to biases), visiting the examples in an order
// shuffled once per epoch by a splitmix64 generator seeded with the seed
// hyper-parameter, which also draws the MLP's initial weights. Every
// division rounds half away from zero.
package ml
