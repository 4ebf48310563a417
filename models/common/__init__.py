"""Shared foundation of the training code in models/ (data, VGG loss network, colour, flow).

Import with models/ on sys.path:  `from common.vgg import LossNet`, `from common.data import ClipSampler`.
See models/data/README.md for the data set and /work/notes/contract.md for the API contract.
"""
