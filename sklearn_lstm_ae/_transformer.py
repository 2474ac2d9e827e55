"""LSTMAutoencoderTransformer: the estimator, its parameters, fit and every fitted method.

``fit`` checks the parameters and resolves them once into a
:class:`~sklearn_lstm_ae._config.FitConfig` that the training core reads;
it stores one fitted attribute, ``_fitted_`` (a
:class:`~sklearn_lstm_ae._fitted.FittedAutoencoder`), from which the public
fitted attributes are derived and which every read-only method calls.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._config import FitConfig
from ._constraints import check_constraints
from ._data.streaming import is_batch_source
from ._export import export_saved_model
from ._fitted import InferenceOptions
from ._input import inference_input, is_table, to_layout
from ._params import (
    PARAMETER_CONSTRAINTS,
    check_keywords,
    check_params,
    check_routed,
    closest_name,
    is_routed,
)
from ._persistence import load_transformer, save_transformer
from ._training import fit_sequences, fit_stream, train_more

__all__ = ["LSTMAutoencoderTransformer"]

#: The constructor's named parameters; other keywords must be routed ones.
_PARAM_NAMES = frozenset(PARAMETER_CONSTRAINTS)


class LSTMAutoencoderTransformer(TransformerMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Encode sequences into fixed-length vectors with an LSTM autoencoder.

    An LSTM encoder (many to one) reads each sequence into a ``latent_dim``
    vector; an LSTM decoder (one to many) learns to rebuild the sequence from
    it. ``transform`` returns the vectors, ready for any scikit-learn estimator;
    ``inverse_transform`` decodes vectors back into sequences. It is the network
    of the hand-written Keras tutorials (LSTM, RepeatVector, LSTM,
    TimeDistributed Dense), with scaling, padding masks and the scikit-learn
    API taken care of. By default, as chosen by cross-validation, a
    convolutional front end of local-shape detectors reads the sequence
    before the LSTM (``conv_filters``); ``conv_filters=()`` gives the
    tutorials' network. Contrastive terms that reward codes for telling
    sequences apart (``subseries_weight``, ``context_weight``) and masked
    reconstruction (``mask_ratio``) are a parameter away.

    Parameters
    ----------
    latent_dim : int, default=128
        Size of the encoded vector (the output of ``transform``). For
        compression or plots set it yourself: 2 to plot, 8 to 16 to
        compress. The default of 128 is chosen for codes that feed a
        classifier: in cross-validation on the training splits of seven
        bundled datasets it scored best of 16, 64, 128 and 320 with a
        logistic regression (see the user guide).
    encoder_units : tuple of int, default=(64,)
        Units of the stacked encoder LSTM layers, first layer first; the
        classic tutorials' stacked encoder is ``(128, 64)``.
    decoder_units : tuple of int, default=None
        Units of the stacked decoder LSTM layers; None mirrors the encoder.
    mode : {"reconstruct", "predict", "composite"}, default="reconstruct"
        Training objective. "reconstruct": the decoder rebuilds the input.
        "predict": the decoder predicts the ``n_future`` steps that follow the
        input. "composite": two decoders, one rebuilding the input and one
        predicting its future, trained together (Srivastava et al., 2015,
        found this gives the best codes). In "predict" and "composite" the
        targets come from X itself: each training sequence's last
        ``n_future`` steps are the future, the steps before them the input.
        ``transform`` always returns the encoder's vector of the whole
        sequence given.
    n_future : int, default=1
        Steps the future decoder predicts ("predict" and "composite" modes);
        training sequences must be longer than this.
    future_weight : float, default=0.5
        Weight of the future loss in "composite" mode; the reconstruction
        loss gets ``1 - future_weight``.
    reverse_target : bool, default=False
        Train the reconstruction decoder to write the input in reverse order
        (the paper's trick to ease optimisation); ``reconstruct`` and
        ``inverse_transform`` still return forward order. Not in "predict".
    conditional : bool, default=False
        Feed each decoder step the previous output: the true previous step
        while training (teacher forcing), the decoder's own output at
        inference. False is the unconditioned RepeatVector decoder of the
        classic Keras LSTM-autoencoder tutorials.
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell of the encoder and decoder layers.
    bidirectional : bool, default=False
        Read each sequence forwards and backwards in every encoder layer.
    pooling : {"lastmax", "max", "mean", "meanmax", "pyramid", "last"}, default="lastmax"
        What the code summarises. "lastmax" projects the last encoder layer's
        final hidden state beside the maximum of its hidden states over the
        valid steps of each sequence; "max", "mean" and "meanmax" (both,
        concatenated) pool the states only. "pyramid" projects the final
        state beside the maximum of the states over the whole sequence, over
        each half and over each quarter of its valid steps: states pooled at
        three time scales, which say roughly where a shape occurred as well
        as that it did. Padding never enters. "last"
        projects the final hidden state alone: the many-to-one encoder of
        the classic Keras LSTM-autoencoder tutorials, a poor summary of long
        sequences. The default was chosen by cross-validation on training
        splits (``benchmarks/select_defaults.py``).
    conv_filters : tuple of int or "auto", default="auto"
        Filters of ``Conv1D`` layers (ReLU) read before the LSTM, a
        convolutional front end: local-shape detectors, each shortening the
        sequence by ``conv_stride`` (padding stays masked), so long sequences
        train faster; unconditioned decoders write ``conv_stride **
        len(conv_filters)`` steps per LSTM step (conditional ones one step
        each, reading the previous). ``()``: the tutorials' network, LSTMs
        only. "auto": ``(32, 64)``, and for long sequences one more layer of
        64 filters each time the LSTMs would otherwise read more than 192
        steps of the median training sequence (a series of 1,460 steps gets
        three layers), so the fit's cost grows with the length no faster than
        linearly; ``conv_filters_`` holds the filters used. Both were chosen
        by cross-validation on training splits (``benchmarks/panel.py``).
    conv_kernel_size : int, default=5
        Window of every front-end convolution, in steps.
    conv_stride : int, default=2
        Stride of every front-end convolution.
    conv_dilation : int, default=1
        Dilation growth of the front end: the kernel of ``Conv1D`` layer
        ``i`` (from 0) reads steps ``conv_dilation ** i`` apart on its
        input's time axis, so each layer sees a wider stretch of the series
        than the last for the same weights. With ``conv_stride=1`` and
        ``conv_dilation=2`` the front end is the dilated convolutions of
        T-Loss's and TS2Vec's encoders, whose reach doubles with every
        layer. 1: contiguous kernels.
    conv_pooling : {"projected", "appended"} or None, default=None
        Pool the front end's feature maps into the code: per filter of each
        ``Conv1D`` layer, its maximum over the valid steps and the
        proportion of valid steps where it responds (as MiniRocket pools its
        kernels), masked for padding. The recurrent summary carries the order
        of events; these say which local shapes occurred, wherever they
        were. "projected": both summaries, projected together to
        ``latent_dim`` numbers. "appended": the code is the ``latent_dim``
        projection of the recurrent summary followed by the pooled maps,
        ``latent_dim + 2 * sum(conv_filters_)`` numbers. The decoders read
        the whole code. None: the recurrent summary alone. Needs
        ``conv_filters``.
    mask_ratio : float, default=0.0
        Masked (denoising) reconstruction: while training, the encoder reads
        each sequence with about this fraction of its valid steps set to
        zero, in spans of 3 steps drawn anew for every batch, and the
        decoders must still rebuild the clean sequence (as TST does). Codes,
        ``transform`` and every scoring method read the sequences as they
        are. 0 trains on clean input.
    augment : "auto", str, list of str or None, default=None
        Augmentations of the training sequences, drawn anew for every batch,
        that multiply a small training set: "crop" (a random subseries of
        half to all of each sequence's valid steps), "warp" (a smooth random
        time warp: four stretches, each read at a random speed), "scale"
        (each sequence times a random factor around 1, standard deviation
        0.1) and "jitter" (noise of standard deviation 0.05 added to every
        scaled value); strengths as in Um et al., 2017. The encoder reads the
        augmented sequence and the decoders must rebuild it, so the loss
        must be one of the difference (mse, mae, Huber); "jitter" alone
        rebuilds the clean sequence (denoising). "crop" and "warp" need
        mode="reconstruct", reverse_target=False and conditional=False.
        Codes, ``transform`` and every scoring method read the sequences as
        they are. "auto": "warp", "scale" and "jitter", the best of them in
        cross-validation on training splits (see the user guide), less those
        the model cannot follow: "warp" needs the plain reconstruction,
        "warp" and "scale" an unconditioned decoder and the loss "mse",
        "mae", "huber" or "log_cosh"; "jitter" always applies. None: the
        sequences as given, as the classic Keras tutorials train.
    subseries_weight : float, default=0.0
        Weight of a contrastive loss beside the decoders' (whose weights sum
        to 1): the code of each training sequence must be closer to the code
        of one random subseries of it (a quarter to all of its valid steps,
        anywhere in it) than to the subseries of the other sequences of the
        batch, an InfoNCE loss on cosine similarities (the subseries
        sampling of T-Loss). It rewards codes for what tells sequences
        apart rather than for what rebuilds them. ``history_`` logs it as
        ``"subseries_loss"`` (``ln(batch_size)`` for codes that tell nothing
        apart, 0 at best). It is not part of ``score_samples``, which stays
        the decoders' error. 0 trains the decoders alone, as the classic
        Keras tutorials do. In cross-validation on training splits at
        ``latent_dim=16``, 1.0 gave the best mean accuracy of an RBF SVM on
        the codes, but lower mean accuracy of a logistic regression than 0
        at 1.3x to 1.6x the time per update; at 128 it lowered both (see the
        user guide). Across workers
        (``distribution_strategy="multi_worker"``), each worker contrasts its
        share of the batch within itself.
    context_weight : float, default=0.0
        Weight of a second contrastive loss, on the encoder's states at
        every step rather than on the code (the contextual contrast of
        TS2Vec): the states of a random crop of each sequence (the same
        length for the whole batch, at most 128 encoder steps) must match
        the states of the same steps read within the whole sequence, against
        the other sequences' states at that step and the states of the
        other steps of the same sequence, at every time scale from single
        steps to the whole crop (max-pooled by 2 each time). It rewards
        states that depend on the local shape more than on what came before
        it. ``history_`` logs it as ``"context_loss"``; like the subseries
        term it stays out of ``score_samples``. Needs ``pooling`` other than
        "last". 0: off.
    activation : str, default="tanh"
        Activation of the LSTM cells. "tanh" trains stably and lets Keras use
        cuDNN on a GPU; "relu", as in the classic tutorials, also works.
    dropout : float, default=0.0
        Fraction of LSTM inputs dropped while training.
    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of 3D arrays and of the 2D sequences of a list, as Keras's
        ``data_format``. "channels_last" is Keras's ``(n_samples, n_timesteps,
        n_features)`` and ``(length_i, n_features)``. "channels_first" is
        aeon's and sktime's ``(n_cases, n_channels, n_timepoints)`` and
        ``(n_channels, length_i)``: pass their collections as they are.
        ``reconstruct``, ``forecast`` and ``inverse_transform`` return the
        same layout. ``fit`` warns when channels-last data look transposed
        (a single time step, or ten times more features than steps).
    scaler : {"standard", "minmax"}, scikit-learn transformer or None, \
            default="standard"
        Per-feature scaling learned in ``fit`` on the valid (unpadded) steps,
        applied before the network and undone by ``inverse_transform``.
        A transformer is cloned and must accept NaN (as scikit-learn's scalers
        do). None feeds the raw values.
    loss : str or keras.losses.Loss, default="mse"
        Training loss. "binary_crossentropy" (for 0/1 data such as one-hot
        sequences) gives the output a sigmoid and needs ``scaler="minmax"`` or
        None.
    optimizer : str, keras optimizer class or instance, default="adam"
        Optimizer. Its settings are routed parameters, as in scikeras:
        ``optimizer__learning_rate=1e-3`` (Keras's default),
        ``optimizer__beta_1=0.8``. A name or class also gets
        ``optimizer__clipnorm=1.0`` unless another clipping
        (``optimizer__clipnorm``, ``optimizer__clipvalue`` or
        ``optimizer__global_clipnorm``) is routed: each gradient clipped to
        norm 1 before the update, a standard guard for recurrent networks on
        long sequences (``optimizer__clipnorm=None`` turns it off). An
        instance is copied for each fit and used with its own settings.
        Keras's Adam (by name, class or instance) trains with the same
        update computed by one TensorFlow kernel per weight, which takes
        about a second off the start of each fit (the train step is traced
        faster); subclasses and other optimizers run as Keras defines them.
    metrics : list of str or keras.metrics.Metric, default=None
        Extra metrics recorded per epoch in ``history_``.
    epochs : int or "auto", default="auto"
        How long to train. An int trains exactly that many passes over the
        training data, as in Keras (add ``keras.callbacks.EarlyStopping`` to
        ``callbacks`` to stop earlier). "auto" counts the budget in gradient
        updates instead (``max_updates``), so small datasets get enough of
        them: the learning rate is halved when the loss stops improving for
        about 60 updates, training stops after about 200 updates without
        improvement, and the best weights are kept.
    max_updates : int, default=500
        The budget of ``epochs="auto"``, in gradient updates, rounded up to
        whole epochs (at least one): 200 updates on 2,000 sequences in
        batches of 32 (63 updates an epoch) train 4 epochs, 252 updates, and
        ``verbose=1`` says so before the bar. Setting it with an int
        ``epochs`` is an error, as it would change nothing. 500 keep the fit
        on 50 sequences of 150 steps within a minute on 2 CPU cores; in
        cross-validation on training splits, 1000 scored the same with
        logistic regression and 2 points higher with an RBF SVM, and they
        rebuild the sequences more closely.
    batch_size : int, default=32
        Sequences per gradient step.
    validation_split : float, default=0.0
        Fraction of the training sequences (the last ones, as in Keras) held
        out to compute ``val_loss``.
    shuffle : {"buckets", True, False}, default="buckets"
        How training batches are drawn each epoch. "buckets": sequences of
        similar length are batched together, each batch padded only to its
        own longest, so that the steps computed follow the valid ones rather
        than ``n_samples x n_timesteps_``; batches and their members are
        redrawn every epoch. Sequences of one length, or training with
        ``validation_split`` (Keras splits arrays, not batches), are drawn as
        with True. True: every batch a random draw of the training
        sequences, every epoch. False: batches in the order given, the same
        every epoch. The draws are seeded by ``random_state``; losses and
        codes are those of the masked computation either way.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training. Keras runs 32 training steps per
        call into its train function (``steps_per_execution``; a fit of at
        most 64 updates in all, one), so batch-level hooks run once per 32
        batches; route ``compile__steps_per_execution=1`` for a hook on
        every batch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, the order of the training
        batches and the length buckets, each from a seed of the estimator's
        own: no process-wide seed is read or set, so fits in threads give
        what they give one after the other. An int gives identical refits on
        the same machine and software (GPUs: only after your own
        ``tf.config.experimental.enable_op_determinism()``; see
        "Reliability" in the user guide). None leaves every draw to Keras,
        which then follows the global seed your script may set through Keras.
    verbose : int, default=0
        0 is silent, 1 shows the Keras progress bar, 2 one line per epoch.
    distribution_strategy : {"mirrored", "multi_worker"}, tf.distribute.Strategy \
            or None, default=None
        Train under a ``tf.distribute`` strategy: "mirrored" makes a
        ``MirroredStrategy`` over all visible GPUs (the CPU when there are
        none), splitting every batch across them. "multi_worker" trains one
        model across the processes ``TF_CONFIG`` names
        (``MultiWorkerMirroredStrategy``): each calls ``fit`` on the same data
        and ``random_state`` and trains its share of every batch (see "Beyond
        one machine" in the user guide). An instance is used as given (not
        cloned, not saved). None: TensorFlow's default strategy.
    **kwargs
        Routed parameters such as ``optimizer__beta_1=0.8``,
        ``fit__validation_batch_size=256``,
        ``compile__steps_per_execution=1``, ``predict__batch_size=4096``
        (sequences per inference batch; by default up to 4,096 and 2**18
        sequence steps) or ``predict__jit_compile`` (True: compile every
        inference batch shape with XLA; False: never; by default, on CPU,
        batch shapes that recur and are large enough to repay it). Names
        are checked when they are set: one that Keras's optimizer,
        ``Model.fit``, ``Model.compile`` or inference does not take raises a
        ``TypeError`` that names the closest valid one.

    Attributes
    ----------
    model_ : keras.Model
        The trained autoencoder, sequences to reconstructed sequences (in
        scaled units).
    encoder_ : keras.Model
        Sequences (NaN-padded, scaled) to codes; shares weights with
        ``model_``.
    decoder_ : keras.Model
        Codes to sequences (scaled units); shares weights with ``model_``.
    history_ : dict of list of float
        Per-epoch ``loss`` (and ``val_loss``, metrics) of the training run;
        with several loss terms, each one's as well (``"reconstruction_loss"``,
        ``"future_loss"``, ``"subseries_loss"``, ``"context_loss"``).
    scaler_ : transformer or None
        The fitted scaler.
    conv_filters_ : tuple of int
        Filters of the front-end convolutions as trained (``conv_filters``
        with "auto" resolved).
    n_timesteps_ : int
        Length of the longest training sequence; not a limit (sequences of
        any length are read), but what ``inverse_transform`` writes by default.
    n_features_ : int
        Number of features (channels) per time step.
    n_features_in_ : int
        Columns seen in ``fit`` for 2D input (time steps), else ``n_features_``.
    feature_names_in_ : ndarray of shape (n_features_in,)
        Column names of a DataFrame passed to ``fit``.

    See Also
    --------
    sklearn.decomposition.PCA : The linear, tabular counterpart.
    check_sequences : The input forms accepted.

    Notes
    -----
    Three input forms are accepted everywhere: a 2D array ``(n_samples,
    n_timesteps)`` of univariate sequences; a 3D array ``(n_samples,
    n_timesteps, n_features)``, where trailing all-NaN steps are padding; and a
    list of arrays ``(length_i, n_features)`` of different lengths. Padded
    steps are masked: they change neither a sequence's code nor the loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(np.linspace(0, 6, 20) + rng.uniform(0, 3, (40, 1)))
    >>> ae = LSTMAutoencoderTransformer(latent_dim=2, encoder_units=(8,),
    ...                                 epochs=3, random_state=0)
    >>> ae.fit_transform(X).shape
    (40, 2)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 20, 1)
    """

    _parameter_constraints = PARAMETER_CONSTRAINTS

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = self.random_state is None
        return tags

    def __init__(
        self,
        *,
        latent_dim=128,
        encoder_units=(64,),
        decoder_units=None,
        mode="reconstruct",
        n_future=1,
        future_weight=0.5,
        reverse_target=False,
        conditional=False,
        cell="lstm",
        bidirectional=False,
        pooling="lastmax",
        conv_filters="auto",
        conv_kernel_size=5,
        conv_stride=2,
        conv_dilation=1,
        conv_pooling=None,
        mask_ratio=0.0,
        augment=None,
        subseries_weight=0.0,
        context_weight=0.0,
        activation="tanh",
        dropout=0.0,
        data_format="channels_last",
        scaler="standard",
        loss="mse",
        optimizer="adam",
        metrics=None,
        epochs="auto",
        max_updates=500,
        batch_size=32,
        validation_split=0.0,
        shuffle="buckets",
        callbacks=None,
        random_state=None,
        verbose=0,
        distribution_strategy=None,
        **kwargs,
    ):
        self.latent_dim = latent_dim
        self.encoder_units = encoder_units
        self.decoder_units = decoder_units
        self.mode = mode
        self.n_future = n_future
        self.future_weight = future_weight
        self.reverse_target = reverse_target
        self.conditional = conditional
        self.cell = cell
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.conv_filters = conv_filters
        self.conv_kernel_size = conv_kernel_size
        self.conv_stride = conv_stride
        self.conv_dilation = conv_dilation
        self.conv_pooling = conv_pooling
        self.mask_ratio = mask_ratio
        self.augment = augment
        self.subseries_weight = subseries_weight
        self.context_weight = context_weight
        self.activation = activation
        self.dropout = dropout
        self.data_format = data_format
        self.scaler = scaler
        self.loss = loss
        self.optimizer = optimizer
        self.metrics = metrics
        self.epochs = epochs
        self.max_updates = max_updates
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.distribution_strategy = distribution_strategy
        # Only routed names pass, as a misspelt keyword fails any other
        # constructor: the closest parameter is named in the error. The
        # signature's own name "kwargs" passes here (scikit-learn's checks set
        # every name of the signature) and fails in fit, as in set_params.
        check_keywords(set(kwargs) - {"kwargs"}, _PARAM_NAMES, type(self).__name__)
        check_routed(kwargs, optimizer, type(self).__name__)
        vars(self).update(kwargs)

    # ------------------------------------------------------------- training
    def fit(self, X, y=None):
        """Train the autoencoder on sequences X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]), list \
                or keras.utils.PyDataset
            Training sequences: 2D (univariate), 3D with optional trailing NaN
            padding, or a list of ``(length_i, n_features)`` arrays. For data
            that do not fit in memory, a ``keras.utils.PyDataset`` of batches
            of sequences: the scaler is fitted in a first pass, then each
            epoch trains on one batch at a time (``batch_size``, ``shuffle``
            and ``validation_split`` do not apply).
        y : array-like of shape (n_samples,), default=None
            Ignored, accepted so the transformer fits inside a Pipeline; when
            given it must hold one value per sequence.

        Returns
        -------
        self : LSTMAutoencoderTransformer
            The fitted transformer. If fit raises, ``self`` is left unchanged.
        """
        config = self._resolve()
        if is_batch_source(X):
            self._fitted_ = fit_stream(config, X)
        else:
            self._fitted_, _ = fit_sequences(config, X, y)
        return self

    def fit_transform(self, X, y=None):
        """Fit on X and return its codes, validating and scaling X only once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Training sequences, as for ``fit``.
        y : array-like of shape (n_samples,), default=None
            Ignored; when given it must hold one value per sequence.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim), float32
            The codes of X, as ``fit(X).transform(X)`` would return them.
        """
        config = self._resolve()
        if is_batch_source(X):  # encode the PyDataset batch by batch
            self._fitted_ = fit_stream(config, X)
            return np.concatenate([self.transform(X[i]) for i in range(len(X))])
        self._fitted_, seqs = fit_sequences(config, X, y)
        return self._fitted_.encode(seqs, self._options())

    def partial_fit(self, X, y=None):
        """Train for one more epoch on X, keeping the model trained so far.

        The first call fits the scaler on X and builds the model, as ``fit``
        with ``epochs=1`` would; later calls keep that scaler and the sequence
        length ``n_timesteps_``, and append to ``history_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            A batch of training sequences.
        y : array-like of shape (n_samples,), default=None
            Ignored; when given it must hold one value per sequence.

        Returns
        -------
        self : LSTMAutoencoderTransformer
            If the call raises, ``self`` (weights included) is left unchanged.
        """
        config = self._resolve()
        if not hasattr(self, "_fitted_"):
            # Later batches may be shorter: always build the masked graph.
            self._fitted_, _ = fit_sequences(config, X, y, epochs=1, masked=True)
        else:
            self._check_columns(X)
            self._fitted_.history = train_more(config, self._fitted_, X, y)
        return self

    def _resolve(self):
        """Check the parameters, then resolve them once into what the fit reads."""
        params = self.get_params(deep=False)
        name = type(self).__name__
        check_keywords(vars(self), params, name)
        check_routed(params, params["optimizer"], name)
        check_params(params, name)
        return FitConfig.from_params(params)

    # ------------------------------------------------------------ parameters
    def get_params(self, deep=True):
        """Get the parameters of this estimator, routed ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators (the scaler).

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update((k, v) for k, v in vars(self).items() if is_routed(k))
        return params

    def set_params(self, **params):
        """Set parameters, including routed ones such as ``optimizer__beta_1``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : LSTMAutoencoderTransformer
        """
        # Routed names, and the name of the constructor's **kwargs (so that
        # set_params never raises where the constructor does not; fit rejects
        # what is not a routed parameter).
        routed = [k for k in params if is_routed(k)]
        check_routed(routed, params.get("optimizer", self.optimizer), type(self).__name__)
        for name in [*routed, *(["kwargs"] if "kwargs" in params else [])]:
            setattr(self, name, params.pop(name))
        valid = self.get_params(deep=True)
        for name in params:
            if name.partition("__")[0] not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}."
                    f"{closest_name(name, valid)} Check the list of available parameters "
                    "with `estimator.get_params().keys()`; routed parameters take a "
                    "prefix such as 'optimizer__' or 'fit__'."
                )
        return super().set_params(**params)

    # ------------------------------------------------------ fitted attributes
    @property
    def _fitted(self):
        check_is_fitted(self)
        return self._fitted_

    def _options(self):
        return InferenceOptions(
            batch_size=getattr(self, "predict__batch_size", None),
            jit_compile=getattr(self, "predict__jit_compile", None),
        )

    def _check_columns(self, X):
        """Check a table's column names against fit, quoting this estimator.

        A table's columns are time steps, and sequences of any length are
        encoded: a table of as many columns as in fit must bear the same
        names, one of another length is read as longer or shorter sequences.
        """
        fitted = self._fitted
        if fitted.table and is_table(X) and np.shape(X)[1] == fitted.n_features_in:
            validate_data(self, X, reset=False, skip_check_array=True)

    def _input(self, X):
        self._check_columns(X)
        return inference_input(X, self._fitted)

    @property
    def model_(self):
        """Keras training graph: sequences to decoder outputs (scaled units)."""
        return self._fitted.model

    @property
    def encoder_(self):
        """Keras encoder: NaN-padded scaled sequences to codes."""
        return self._fitted.graphs.encoder(masked=True)

    @property
    def decoder_(self):
        """Keras decoder: codes to sequences in scaled units."""
        return self._fitted.graphs.decoder()

    @property
    def scaler_(self):
        """The per-feature scaler fitted on the valid training steps, or None."""
        return self._fitted.scaler

    @property
    def history_(self):
        """Per-epoch training values (``loss``, ``val_loss``, ``learning_rate``, ...)."""
        return self._fitted.history

    @property
    def conv_filters_(self):
        """Filters of the front-end convolutions as trained ("auto" resolved)."""
        return self._fitted.network.conv_filters

    @property
    def n_timesteps_(self):
        """Steps of the longest training sequence."""
        return self._fitted.n_timesteps

    @property
    def n_features_(self):
        """Features per time step."""
        return self._fitted.n_features

    @property
    def n_features_in_(self):
        """Features seen in fit (columns of a 2D table)."""
        return self._fitted.n_features_in

    @property
    def feature_names_in_(self):
        """Column names of a DataFrame seen in fit (absent otherwise)."""
        names = self._fitted.feature_names_in
        if names is None:
            raise AttributeError(
                f"{type(self).__name__} was not fitted on a DataFrame with column names."
            )
        return names

    @property
    def _n_features_out(self):
        return self._fitted.latent_dim

    def transform(self, X):
        """Encode sequences into fixed-length vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences in any of the forms accepted by ``fit``, with the same
            number of features, of any length (longer ones than in ``fit``
            included).

        Returns
        -------
        ndarray of shape (n_samples, latent_dim), float32
            The codes.
        """
        return self._fitted.encode(self._input(X), self._options())

    def inverse_transform(self, X, lengths=None):
        """Decode vectors into sequences in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Codes, as returned by ``transform``.
        lengths : array-like of int, default=None
            Length of each sequence. When given, a list of ``(length_i,
            n_features)`` arrays is returned instead of one padded array (and,
            with ``reverse_target=True``, each sequence is put back in forward
            order over its own length rather than over ``n_timesteps_``).

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps, n_features) or list
            The decoded sequences, in forward order: ``n_timesteps_`` steps,
            or a list of ``(length_i, n_features)`` arrays when ``lengths`` is
            given (lengths may exceed ``n_timesteps_``). Channels first with
            ``data_format="channels_first"``.
        """
        return to_layout(self._fitted.data_format, self._fitted.decode(X, lengths, self._options()))

    def reconstruct(self, X):
        """Encode and decode sequences in one pass, in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps, n_features)
            Reconstructions in forward order; NaN where the input was padding.
            ``(n_samples, n_features, n_timesteps)`` with
            ``data_format="channels_first"``.
        """
        fitted = self._fitted
        return to_layout(fitted.data_format, fitted.reconstruct(self._input(X), self._options()))

    def forecast(self, X):
        """Predict the ``n_future`` steps that follow each sequence.

        Available in modes "predict" and "composite". Each sequence is read
        whole, whatever its length, and the future decoder writes the
        steps after its last one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_future, n_features)
            The predicted future, in the original units (``(n_samples,
            n_features, n_future)`` with ``data_format="channels_first"``).
        """
        fitted = self._fitted
        return to_layout(fitted.data_format, fitted.forecast(self._input(X), self._options()))

    def score_samples(self, X):
        """Negative decoder loss of each sequence: how well the model explains it.

        In "reconstruct" mode this is minus the mean squared reconstruction
        error over valid steps and features; in "predict" mode minus the
        error of predicting each sequence's last ``n_future`` steps from the
        steps before; in "composite" mode the weighted sum of both, as in
        training. Errors are in the scaled units the network is trained in.
        Lower means more abnormal (the scikit-learn outlier convention). The
        contrastive terms (``subseries_weight``, ``context_weight``) are not
        part of it: they compare a sequence with the others of its batch,
        not with itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            Minus the per-sequence mean squared error.
        """
        return -self._fitted.objectives(self._input(X), self._options())

    def score(self, X, y=None):
        """Negative mean reconstruction error (higher is better).

        Lets ``GridSearchCV`` tune the transformer without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        y : None
            Ignored.

        Returns
        -------
        float
            ``score_samples(X).mean()``.
        """
        return float(np.mean(self.score_samples(X)))

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted transformer to one file, loadable without running code.

        The file (a zip archive) holds the Keras model in the ``.keras``
        format, the parameters and fitted state as JSON and the scaler's
        arrays; :meth:`load` reads it with Keras safe mode and
        ``allow_pickle=False``. Training-only ``callbacks`` are not saved.

        The write is atomic: the file goes to a temporary sibling, is flushed
        to disk, then renamed over ``path``. A crash at any moment leaves the
        old file or the complete new one, and a save that raises leaves the
        old file untouched and no temporary file behind.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination file, e.g. ``"encoder.lstmae"``. A file object
            (``io.BytesIO``, an open file) is written in place.

        Returns
        -------
        path : str or path-like
            The path written.
        """
        return save_transformer(
            self.get_params(deep=False), self._fitted, path, class_name=type(self).__name__
        )

    @classmethod
    def load(cls, path):
        """Load a transformer written by :meth:`save`.

        The archive's member list and declared sizes are checked before
        any member is read, so an oversized or malformed file (a
        decompression bomb, names with ``..``) is refused at once.

        Parameters
        ----------
        path : str, path-like or binary file object
            File written by :meth:`save`.

        Returns
        -------
        LSTMAutoencoderTransformer
            The fitted transformer; ``transform`` gives the same output as
            the saved one.
        """
        params, fitted = load_transformer(path, cls)
        est = cls(**params)
        est._fitted_ = fitted
        return est

    def export(self, path):
        """Write a TensorFlow SavedModel that serves the codes without this package.

        Unlike :meth:`save` (a file for this package to load) and
        ``encoder_.export`` (a graph that reads *scaled* sequences), the
        directory written here is self-contained: its graph takes the raw
        sequences as ``transform`` does, scales them inside, reads trailing
        NaN steps as padding, and holds standard TensorFlow operations only
        (the CPU fast paths are left out), so TensorFlow Serving,
        ``tf.saved_model.load`` in a process without this package, and
        tf2onnx all read it.

        Signatures, each taking ``sequences``, float32 ``(batch, time,
        features)`` (``(batch, features, time)`` with
        ``data_format="channels_first"``), NaN-padded at the end, any time
        length:

        - ``serving_default`` and ``transform``: ``{"codes": (batch,
          latent_dim)}``, as :meth:`transform`;
        - ``reconstruct`` (modes "reconstruct" and "composite"):
          ``{"reconstruction": ...}`` in the original units, NaN on padding,
          as :meth:`reconstruct`;
        - ``score_samples`` (mode "reconstruct"): ``{"scores": (batch,)}``,
          as :meth:`score_samples`.

        The write is atomic: the directory is written beside ``path`` and
        renamed into place, replacing an existing export only once the new
        one is complete.

        Parameters
        ----------
        path : str or path-like
            Directory to write, e.g. ``"encoder_savedmodel"``.

        Returns
        -------
        path : str or path-like
            The path written.

        Raises
        ------
        ValueError
            If the scaler is not a per-feature affine map (``"standard"``,
            ``"minmax"`` and None are), since the scaling goes into the graph.

        Examples
        --------
        >>> import numpy as np, tensorflow as tf, tempfile, os
        >>> from sklearn_lstm_ae import LSTMAutoencoderTransformer
        >>> X = np.sin(np.linspace(0, 6, 20) + np.arange(30)[:, None])
        >>> ae = LSTMAutoencoderTransformer(latent_dim=2, encoder_units=(8,), epochs=2,
        ...                                 random_state=0).fit(X)
        >>> path = ae.export(os.path.join(tempfile.mkdtemp(), "encoder"))
        >>> serve = tf.saved_model.load(path).signatures["serving_default"]
        >>> codes = serve(sequences=tf.constant(X[:4, :, None], tf.float32))["codes"]
        >>> bool(np.allclose(codes, ae.transform(X[:4]), atol=1e-5))
        True
        """
        return export_saved_model(self._fitted, path)

    def reconstruction_errors(self, X, per_step=False, per_feature=False):
        """Squared reconstruction errors, in the scaled units the network is trained in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        per_step : bool, default=False
            Return the error of every time step (averaged over features)
            instead of each sequence's mean over its valid steps.
        per_feature : bool, default=False
            Keep the features apart instead of averaging over them: which
            channel of a multivariate sequence is rebuilt badly.

        Returns
        -------
        ndarray of shape (n_samples,), (n_samples, n_timesteps), (n_samples, n_features) \
or (n_samples, n_timesteps, n_features)
            Per-sequence means (float64), or per-step errors with NaN on
            padding; with ``per_feature``, a last axis of one error per feature.
        """
        check_constraints(
            {"per_step": ["boolean"], "per_feature": ["boolean"]},
            {"per_step": per_step, "per_feature": per_feature},
            "reconstruction_errors",
        )
        return self._fitted.errors(
            self._input(X), self._options(), per_step=per_step, per_feature=per_feature
        )
