"""mamlbench: MAML (Finn, Abbeel & Levine, ICML 2017) re-run in TensorFlow 2.

Layers, each importing only from the ones above it:
  tasks/       task distributions sampled inside compiled code (support/query/info)
  models/      functional models: init(seed) -> params dict, apply(params, x)
  losses, optim
  algorithms/  the one inner loop, MAML/FOMAML, and the Method protocol every baseline shares
  training, evaluation, metrics
  report/      paper numbers, tables and figures (no TensorFlow)
"""
