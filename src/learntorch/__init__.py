"""learntorch: the small training library behind *Deep Learning with PyTorch, executable notes*.

Modules, one job each:

- ``learntorch.data``: find datasets offline, in-memory batching, train/validation split
- ``learntorch.models``: the classifiers the lessons train
- ``learntorch.training``: ``fit``, ``evaluate``, ``predict`` (also on several processes)
- ``learntorch.plots``: the classifier plot, image grids, history curves, confusion matrices
- ``learntorch.checkpoints``: save and load models safely
- ``learntorch.export``: a model leaves Python: ``torch.export`` programs and ONNX files
- ``learntorch.recipes``: the tuned Fashion-MNIST training recipe (``FashionRecipe``, ``train``)
- ``learntorch.pretrained``: ImageNet backbones and VGG16 convolutions that load offline
- ``learntorch.style``: neural style transfer (Gram matrices, the image optimisation)
- ``learntorch.gan``: a GAN's losses and training step
- ``learntorch.zoo``: trained models and results the lessons share, made once and cached
- ``learntorch.cli``: the ``learntorch`` command (``train``, ``evaluate``, ``export``, ``predict``)
"""

__version__ = "0.1.0"
