"""The estimator: LSTMAutoencoderTransformer, sequences in, fixed-length codes out."""

import random
from contextlib import contextmanager
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._network import FUTURE, RECONSTRUCTION, AutoencoderGraphs, build_autoencoder, training_inputs
from ._persistence import load_transformer, save_transformer
from ._scaling import (
    fit_scaler,
    make_scaler,
    partial_fit_scaler,
    scale_inplace,
    unscale_inplace,
)
from ._scikeras import KerasSequenceWrapper
from ._sequences import (
    _is_sequence_list,
    check_sequences,
    nan_to_zero,
    reverse_steps,
    split_future,
    unpad_sequences,
    valid_lengths,
)
from ._streaming import TrainingBatches, is_batch_source

__all__ = ["LSTMAutoencoderTransformer"]

_BCE = ("binary_crossentropy", "bce")
_PREDICT_BATCH = 1024
# Private state made by fit; removed with the public fitted attributes on refit.
_FITTED_PRIVATE = (
    "_graphs",
    "_fit_on_table",
    "_padded_fit",
    "_fit_spec",
    "_fit_callbacks",
    "_predict_callbacks",
    "_random_state",
)


def _is_table(X):
    """True for 2D array-likes: univariate sequences, one per row."""
    if hasattr(X, "iloc"):
        return getattr(X, "ndim", 2) == 2
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    if isinstance(X, (list, tuple)) and X and not _is_sequence_list(X):
        try:
            return np.ndim(X) == 2
        except ValueError:
            return False
    return False


@contextmanager
def _seeded(random_state):
    """Seed Python, NumPy, TensorFlow and Keras; restore Python/NumPy states after."""
    if random_state is None:
        yield
        return
    if isinstance(random_state, Integral):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 (the global state we restore)
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002


class _StopOnNaN(keras.callbacks.Callback):
    """Stop training after an epoch whose loss is NaN or infinite.

    Checked per epoch, not per batch like ``TerminateOnNaN``: a batch-level
    hook makes Keras copy the logs back from the device after every step,
    which cost about 10% of the training time of small networks.
    """

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True


class LSTMAutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, KerasSequenceWrapper
):
    """Encode sequences into fixed-length vectors with an LSTM autoencoder.

    An LSTM encoder (many to one) reads each sequence into a ``latent_dim``
    vector; an LSTM decoder (one to many) learns to rebuild the sequence from
    it. ``transform`` returns the vectors, ready for any scikit-learn estimator;
    ``inverse_transform`` decodes vectors back into sequences. It is the network
    of the hand-written Keras tutorials (LSTM, RepeatVector, LSTM,
    TimeDistributed Dense), with scaling, padding masks and the scikit-learn
    API taken care of.

    Parameters
    ----------
    latent_dim : int, default=8
        Size of the encoded vector (the output of ``transform``).
    encoder_units : tuple of int, default=(64,)
        Units of the stacked encoder LSTM layers, first layer first; the
        second seed's encoder is ``(128, 64)``.
    decoder_units : tuple of int, default=None
        Units of the stacked decoder LSTM layers. None mirrors the encoder
        (``(128, 64)`` gives a ``(64, 128)`` decoder).
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
        Train the reconstruction decoder to output the input in reverse
        order, so the first step it writes is the last one the encoder read
        (the paper's trick to ease optimisation). ``reconstruct`` and
        ``inverse_transform`` still return sequences in forward order.
        Ignored in "predict" mode.
    conditional : bool, default=False
        Feed each decoder step the previous output: the true previous step
        while training (teacher forcing), the decoder's own output at
        inference. False is the seeds' unconditioned RepeatVector decoder.
    activation : str, default="tanh"
        Activation of the LSTM cells. "tanh" trains stably and lets Keras use
        cuDNN on a GPU; "relu", as in the seeds, also works.
    dropout : float, default=0.0
        Fraction of LSTM inputs dropped while training.
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
        Optimizer; routed parameters ``optimizer__name=value`` reach its
        constructor.
    learning_rate : float, default=1e-3
        Learning rate of the optimizer, unless ``optimizer__learning_rate`` is
        given or ``optimizer`` is an instance.
    metrics : list of str or keras.metrics.Metric, default=None
        Extra metrics recorded per epoch in ``history_``.
    epochs : int, default=100
        Number of passes over the training data.
    batch_size : int, default=32
        Sequences per gradient step.
    validation_split : float, default=0.0
        Fraction of the training sequences (the last ones, as in Keras) held
        out to compute ``val_loss``.
    shuffle : bool, default=True
        Shuffle the training sequences before each epoch.
    early_stopping : int, default=None
        Patience, in epochs, before training stops once ``val_loss`` (or
        ``loss`` without validation) stops improving; the best weights are
        restored. None trains for all ``epochs``.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling. An int gives
        identical results on refits on the same CPU.
    verbose : int, default=0
        0 is silent, 1 shows the Keras progress bar, 2 one line per epoch.
    distribution_strategy : {"mirrored"}, tf.distribute.Strategy or None, \
            default=None
        Train under a ``tf.distribute`` strategy: "mirrored" makes a
        ``MirroredStrategy`` over all visible GPUs (the CPU when there are
        none) at each fit, splitting every batch across them; an instance is
        used as given (it is not cloned and not saved by :meth:`save`). None
        uses TensorFlow's default strategy.
    **kwargs
        scikeras routed parameters such as ``optimizer__beta_1=0.8``,
        ``fit__validation_batch_size=256`` or ``predict__batch_size=4096``.

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
        Per-epoch ``loss`` (and ``val_loss``, metrics) of the training run.
    scaler_ : transformer or None
        The fitted scaler.
    n_timesteps_ : int
        Length of the longest training sequence; all sequences are padded to it.
    n_features_ : int
        Number of features (channels) per time step.
    n_features_in_ : int
        Number of columns seen in ``fit`` for 2D input (that is, time steps),
        else ``n_features_``.
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

    _parameter_constraints = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "encoder_units": ["array-like"],
        "decoder_units": ["array-like", None],
        "mode": [StrOptions({"reconstruct", "predict", "composite"})],
        "n_future": [Interval(Integral, 1, None, closed="left")],
        "future_weight": [Interval(Real, 0, 1, closed="both")],
        "reverse_target": ["boolean"],
        "conditional": ["boolean"],
        "activation": [str],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "scaler": "no_validation",  # checked in _check_params
        "loss": [str, keras.losses.Loss, callable],
        "optimizer": [str, type, keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "metrics": [list, tuple, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, tuple, None],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "distribution_strategy": [StrOptions({"mirrored"}), tf.distribute.Strategy, None],
    }

    def __init__(
        self,
        *,
        latent_dim=8,
        encoder_units=(64,),
        decoder_units=None,
        mode="reconstruct",
        n_future=1,
        future_weight=0.5,
        reverse_target=False,
        conditional=False,
        activation="tanh",
        dropout=0.0,
        scaler="standard",
        loss="mse",
        optimizer="adam",
        learning_rate=1e-3,
        metrics=None,
        epochs=100,
        batch_size=32,
        validation_split=0.0,
        shuffle=True,
        early_stopping=None,
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
        self.activation = activation
        self.dropout = dropout
        self.scaler = scaler
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.distribution_strategy = distribution_strategy
        vars(self).update(kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = self.random_state is None
        return tags

    # ------------------------------------------------------------------ fit
    def _check_params(self):
        params = set(self.get_params(deep=False))
        for key in vars(self):
            if not (key in params or key.startswith("_") or key.endswith("_")):
                raise TypeError(
                    f"{type(self).__name__} got an unexpected keyword argument "
                    f"{key!r}. Extra arguments must be scikeras routed parameters "
                    "such as 'optimizer__beta_1' or 'fit__validation_batch_size'."
                )
        self._validate_params()
        for name in ("encoder_units", "decoder_units"):
            units = getattr(self, name)
            if units is None:
                continue
            if len(units) == 0 or not all(
                isinstance(u, Integral) and not isinstance(u, bool) and u >= 1 for u in units
            ):
                raise ValueError(
                    f"{name} must be a non-empty tuple of positive ints (units of "
                    f"the stacked LSTM layers), got {units!r}."
                )
        if isinstance(self.scaler, str) and self.scaler not in ("standard", "minmax"):
            raise ValueError(
                "The 'scaler' parameter of LSTMAutoencoderTransformer must be "
                f"'standard', 'minmax', None or a transformer; got {self.scaler!r}."
            )
        if (
            self.scaler is not None
            and not isinstance(self.scaler, str)
            and not all(hasattr(self.scaler, m) for m in ("fit", "transform", "inverse_transform"))
        ):
            raise ValueError(
                "scaler must be 'standard', 'minmax', None or a transformer with "
                f"fit, transform and inverse_transform; got {self.scaler!r}."
            )
        if self._bce and self.scaler == "standard":
            raise ValueError(
                "loss='binary_crossentropy' needs targets in [0, 1], but "
                "scaler='standard' centres them on 0. Use scaler='minmax' or None."
            )

    @property
    def _bce(self):
        return isinstance(self.loss, str) and self.loss in _BCE

    @staticmethod
    def _units(units):
        return tuple(int(u) for u in units)

    @property
    def _heads(self):
        """Decoders trained in this mode, with their loss weights."""
        if self.mode == "reconstruct":
            return {RECONSTRUCTION: 1.0}
        if self.mode == "predict":
            return {FUTURE: 1.0}
        return {RECONSTRUCTION: 1.0 - self.future_weight, FUTURE: self.future_weight}

    def _keras_build_fn(self, compile_kwargs):
        encoder = self._units(self.encoder_units)
        decoder = encoder[::-1] if self.decoder_units is None else self._units(self.decoder_units)
        heads = self._heads
        model = build_autoencoder(
            n_timesteps=self.n_timesteps_,
            n_features=self.n_features_,
            latent_dim=self.latent_dim,
            encoder_units=encoder,
            decoder_units=decoder,
            activation=self.activation,
            dropout=self.dropout,
            masked=self._padded_fit,
            output_activation="sigmoid" if self._bce else None,
            reconstruct=RECONSTRUCTION in heads,
            n_future=self.n_future if FUTURE in heads else 0,
            conditional=self.conditional,
        )
        metrics = compile_kwargs.pop("metrics", None)
        if metrics:
            # One copy of each metric per decoder: a metric object keeps state.
            compile_kwargs["metrics"] = {
                head: [
                    type(m).from_config(m.get_config())
                    if isinstance(m, keras.metrics.Metric)
                    else m
                    for m in metrics
                ]
                for head in heads
            }
        loss = compile_kwargs.pop("loss")
        model.compile(
            loss={head: loss for head in heads},
            loss_weights=heads,
            **compile_kwargs,
        )
        return model

    def _training_data(self, values, lengths):
        """Model inputs and targets for fitting on scaled, NaN-padded ``values``.

        Returns ``(x, targets, padded)``; ``padded`` says whether the
        encoder's input holds padding (and needs the masked graph).
        """
        spec = self._fit_spec
        targets = {}
        if spec["mode"] == "reconstruct":
            encoder_input, input_lengths = values, lengths
        else:
            k = spec["n_future"]
            if lengths.min() <= k:
                raise ValueError(
                    f"mode={spec['mode']!r} with n_future={k} splits the last {k} "
                    "steps off each training sequence as its future, so every "
                    f"sequence needs more than {k} steps; the shortest has "
                    f"{lengths.min()}. Lower n_future or drop the short sequences."
                )
            encoder_input, targets[FUTURE] = split_future(values, lengths, k)
            input_lengths = lengths - k
        if spec["mode"] != "predict":
            target = encoder_input
            if spec["reverse_target"]:
                target = reverse_steps(target, input_lengths)
            targets[RECONSTRUCTION] = nan_to_zero(target)
        padded = int(input_lengths.min()) < values.shape[1]
        return encoder_input, targets, padded

    def _training_callbacks(self):
        callbacks = [_StopOnNaN()]
        if self.early_stopping is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss" if self.validation_split else "loss",
                    patience=self.early_stopping,
                    restore_best_weights=True,
                )
            )
        return callbacks

    def _check_input(self, X, *, reset, first_index=0):
        """Validate X; return NaN-padded float32 sequences (a fresh copy)."""
        table = _is_table(X)
        if reset:
            if table:
                validate_data(self, X, reset=True, skip_check_array=True)
            seqs = check_sequences(X)
            self._fit_on_table = table
            if not table:
                self.n_features_in_ = seqs.values.shape[2]
            return seqs
        check_is_fitted(self)
        if table and self._fit_on_table:
            validate_data(self, X, reset=False, skip_check_array=True)
        return check_sequences(
            X,
            n_features=self.n_features_,
            max_timesteps=self.n_timesteps_,
            first_index=first_index,
        )

    def _unfitted_copy(self):
        new = object.__new__(type(self))
        vars(new).update(
            (k, v) for k, v in vars(self).items() if not (k.endswith("_") or k in _FITTED_PRIVATE)
        )
        return new

    def _commit(self, new):
        vars(self).clear()
        vars(self).update(vars(new))
        return self

    def fit(self, X, y=None):
        """Train the autoencoder on sequences X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]), list \
                or keras.utils.PyDataset
            Training sequences: 2D (univariate), 3D with optional trailing NaN
            padding, or a list of ``(length_i, n_features)`` arrays. For data
            that do not fit in memory, a ``keras.utils.PyDataset`` whose items
            are batches of sequences (in any of these forms): the scaler is
            fitted incrementally in a first pass, then each epoch reads,
            scales and trains on one batch at a time (``batch_size``,
            ``shuffle`` and ``validation_split`` then do not apply; shuffle
            inside the PyDataset).
        y : None
            Ignored; accepted so the transformer fits inside a Pipeline.

        Returns
        -------
        self : LSTMAutoencoderTransformer
            The fitted transformer. If fit raises, ``self`` is left unchanged.
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit on X and return its codes, validating and scaling X only once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Training sequences, as for ``fit``.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim), float32
            The codes of X, as ``fit(X).transform(X)`` would return them.
        """
        seqs = self._fit(X)
        if seqs is None:  # fitted from a PyDataset: encode it batch by batch
            return np.concatenate([self.transform(X[i]) for i in range(len(X))])
        return self._map_batches(self._predict, seqs.values)

    def _fit(self, X):
        """Fit and commit; return X's validated, scaled sequences."""
        self._check_params()
        if is_batch_source(X):
            return self._fit_batches(X)
        new = self._unfitted_copy()
        seqs = new._check_input(X, reset=True)
        self._check_bce_range(seqs.values)
        new.scaler_ = fit_scaler(make_scaler(self.scaler), seqs.values)
        scale_inplace(new.scaler_, seqs.values)
        _, new.n_timesteps_, new.n_features_ = seqs.values.shape
        new._fit_spec = self._make_fit_spec()
        new._train(seqs, epochs=self.epochs)
        new._restore_model(new.model_)
        new._check_converged()
        self._commit(new)
        return seqs

    def _make_fit_spec(self):
        return {
            "mode": self.mode,
            "n_future": self.n_future if self.mode != "reconstruct" else 0,
            "reverse_target": bool(self.reverse_target) and self.mode != "predict",
            "conditional": bool(self.conditional),
            "future_weight": float(self._heads.get(FUTURE, 0.0)),
        }

    def _check_bce_range(self, values):
        if self._bce and self.scaler is None:
            values = values[~np.isnan(values)]
            if values.min() < 0 or values.max() > 1:
                raise ValueError(
                    "loss='binary_crossentropy' needs values in [0, 1], but X "
                    f"ranges from {values.min():g} to {values.max():g}. Use "
                    "scaler='minmax' or loss='mse'."
                )

    def _fit_batches(self, dataset):
        """Fit from a PyDataset: scaler in a first pass, then Keras batch by batch."""
        if self.validation_split:
            raise ValueError(
                "validation_split cannot split a PyDataset. Set validation_split=0 "
                "and pass held-out batches as fit__validation_data=<a PyDataset "
                "of (inputs, targets)>, or monitor with callbacks."
            )
        n_batches = len(dataset)
        if n_batches == 0:
            raise ValueError("The PyDataset holds 0 batches; at least 1 is required.")
        new = self._unfitted_copy()
        scaler = make_scaler(self.scaler)
        n_features, steps, padded = None, set(), False
        for i in range(n_batches):
            seqs = check_sequences(dataset[i], n_features=n_features, name=f"batch {i}")
            n_features = seqs.values.shape[2]
            steps.add(seqs.values.shape[1])
            padded = padded or seqs.is_padded
            self._check_bce_range(seqs.values)
            scaler = partial_fit_scaler(scaler, seqs.values)
        new.scaler_ = scaler
        new.n_timesteps_, new.n_features_ = max(steps), n_features
        new.n_features_in_, new._fit_on_table = n_features, False
        new._fit_spec = self._make_fit_spec()
        new._padded_fit = padded or len(steps) > 1 or self.mode != "reconstruct"

        def prepare(batch):
            seqs = new._scaled(batch)
            values, targets, _ = new._training_data(seqs.values, seqs.lengths)
            return training_inputs(values, targets, new._fit_spec["conditional"]), targets

        with _seeded(self.random_state), new._strategy().scope():
            new._keras_fit(
                TrainingBatches(dataset, prepare),
                None,
                new._training_callbacks(),
                epochs=self.epochs,
            )
        new._restore_model(new.model_)
        new._check_converged()
        self._commit(new)
        return None

    def _train(self, seqs, *, epochs, warm_start=False):
        """Build the training targets from scaled ``seqs`` and run Keras on them."""
        values, targets, padded = self._training_data(seqs.values, seqs.lengths)
        if not warm_start:
            # partial_fit always builds the masked graph: later batches may be shorter.
            self._padded_fit = padded or vars(self).get("_partial", False)
        x = training_inputs(values, targets, self._fit_spec["conditional"])
        # A warm start keeps training under the strategy the model was built in.
        strategy = self.model_.distribute_strategy if warm_start else self._strategy()
        with _seeded(self.random_state), strategy.scope():
            self._keras_fit(
                x, targets, self._training_callbacks(), epochs=epochs, warm_start=warm_start
            )

    def _strategy(self):
        """The tf.distribute strategy to build and train under."""
        if self.distribution_strategy == "mirrored":
            return tf.distribute.MirroredStrategy()
        if self.distribution_strategy is None:
            return tf.distribute.get_strategy()
        return self.distribution_strategy

    def _check_converged(self):
        losses = np.asarray(self.history_.get("loss", []), dtype=float)
        if losses.size == 0 or not np.isfinite(losses).all():
            raise FloatingPointError(
                "Training diverged: the loss became NaN or infinite after "
                f"{losses.size} epoch(s). Lower learning_rate, keep scaler="
                "'standard', or use activation='tanh'."
            )

    def partial_fit(self, X, y=None):
        """Train for one more epoch on X, keeping the model trained so far.

        The first call fits the scaler on X and builds the model, as ``fit``
        with ``epochs=1`` would; later calls keep that scaler and the sequence
        length ``n_timesteps_``, and append to ``history_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            A batch of training sequences.
        y : None
            Ignored.

        Returns
        -------
        self : LSTMAutoencoderTransformer
            If the call raises, ``self`` (weights included) is left unchanged.
        """
        if not hasattr(self, "model_"):
            epochs = self.epochs
            try:
                self.epochs = 1
                new = self._unfitted_copy()
                new._partial = True
                new.fit(X)
            finally:
                self.epochs = epochs
            new.epochs = epochs
            del new._partial
            return self._commit(new)
        self._check_params()
        seqs = self._scaled(X)
        weights = self.model_.get_weights()
        history = {k: list(v) for k, v in self.history_.items()}
        try:
            self._train(seqs, epochs=1, warm_start=True)
            self._check_converged()
        except BaseException:
            self.model_.set_weights(weights)
            self.history_ = history
            raise
        return self

    # ------------------------------------------------------------ inference
    @property
    def _graphs_(self):
        check_is_fitted(self)
        return self._graphs

    @property
    def encoder_(self):
        """Keras encoder: NaN-padded scaled sequences to codes."""
        check_is_fitted(self)
        return self._graphs_.encoder(masked=True)

    @property
    def decoder_(self):
        """Keras decoder: codes to sequences in scaled units."""
        check_is_fitted(self)
        return self._graphs_.decoder()

    @property
    def _n_features_out(self):
        return self._graphs_.latent_dim

    def _batches(self, n):
        size = int(vars(self).get("predict__batch_size") or _PREDICT_BATCH)
        return (slice(i, min(i + size, n)) for i in range(0, n, size))

    def _map_batches(self, fn, values, load=None, dtype=np.float32):
        """Apply ``fn`` to batches of ``values`` and stack the results.

        Memory grows only with the output: each batch's result is written into
        one preallocated array of ``dtype``. ``load(part, start)``, when
        given, turns each slice of ``values`` into the batch passed to ``fn``.
        """
        out = None
        for sl in self._batches(len(values)):
            batch = values[sl] if load is None else load(values[sl], sl.start)
            res = np.asarray(fn(batch))
            if out is None:
                out = np.empty((len(values),) + res.shape[1:], dtype=dtype)
            out[sl] = res
        if out is None:
            raise ValueError("Found array with 0 sample(s); at least 1 is required.")
        return out

    def _predict(self, batch, head=None):
        """Codes (``head=None``) or a decoder's output for one batch of sequences.

        Batches without padding take the unmasked graph (same function,
        faster on CPU).
        """
        padded = bool(np.isnan(batch[:, -1, 0]).any())
        graphs = self._graphs_
        model = graphs.encoder(padded) if head is None else graphs.autoencoder(padded, head)
        return model.predict_on_batch(batch)

    def _require(self, head, method):
        if head not in self._graphs_.heads:
            mode = self._fit_spec["mode"]
            if head == FUTURE:
                raise ValueError(
                    f"{method} needs the future decoder of mode='predict' or "
                    f"'composite', but this transformer was fitted with mode={mode!r}."
                )
            raise ValueError(
                f"{method} needs the reconstruction decoder of mode='reconstruct' or "
                f"'composite', but this transformer was fitted with mode={mode!r}. "
                "Use forecast() for the predicted future."
            )

    def _reconstruct_scaled(self, batch):
        """Forward-ordered reconstruction of a batch, scaled units, NaN on padding."""
        out = np.asarray(self._predict(batch, RECONSTRUCTION))
        if self._fit_spec["reverse_target"]:
            out = reverse_steps(out, valid_lengths(batch))
        out[np.isnan(batch)] = np.nan
        return out

    def _scaled(self, X, first_index=0):
        seqs = self._check_input(X, reset=False, first_index=first_index)
        scale_inplace(self.scaler_, seqs.values)
        return seqs

    def _map_sequences(self, fn, X, dtype=np.float32):
        """Validate and scale X and apply ``fn`` to it batch by batch.

        A numeric NumPy array is read one batch at a time, each batch copied
        to float32, validated, padded and scaled in one pass, so peak memory
        above the input grows only with the output. Other inputs (lists of
        sequences, DataFrames) are first converted in one padded copy.
        """
        check_is_fitted(self)
        if not (isinstance(X, np.ndarray) and X.ndim in (2, 3) and X.dtype.kind in "biuf"):
            return self._map_batches(fn, self._scaled(X).values, dtype=dtype)
        return self._map_batches(
            fn, X, load=lambda part, start: self._scaled(part, start).values, dtype=dtype
        )

    def transform(self, X):
        """Encode sequences into fixed-length vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences in any of the forms accepted by ``fit``, with the same
            number of features and no more than ``n_timesteps_`` steps.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim), float32
            The codes.
        """
        return self._map_sequences(self._predict, X)

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
            The decoded sequences, in forward order.
        """
        check_is_fitted(self)
        self._require(RECONSTRUCTION, "inverse_transform")
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but codes of this transformer have "
                f"latent_dim={self._n_features_out}. Pass the output of transform."
            )
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (len(Z),):
                raise ValueError(
                    f"lengths must hold one length per code ({len(Z)}), got shape {lengths.shape}."
                )
        decoder = self._graphs_.decoder(RECONSTRUCTION)
        out = self._map_batches(decoder.predict_on_batch, Z)
        if self._fit_spec["reverse_target"]:
            full = np.full(len(out), out.shape[1])
            out = reverse_steps(out, full if lengths is None else np.clip(lengths, 1, None))
        unscale_inplace(self.scaler_, out)
        return out if lengths is None else unpad_sequences(out, lengths)

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
        """
        self._require(RECONSTRUCTION, "reconstruct")
        out = self._map_sequences(self._reconstruct_scaled, X)
        return unscale_inplace(self.scaler_, out)

    def forecast(self, X):
        """Predict the ``n_future`` steps that follow each sequence.

        Available in modes "predict" and "composite". Each sequence is read
        whole (up to ``n_timesteps_`` steps) and the future decoder writes the
        steps after its last one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_future, n_features)
            The predicted future, in the original units.
        """
        check_is_fitted(self)
        self._require(FUTURE, "forecast")
        out = self._map_sequences(lambda batch: self._predict(batch, FUTURE), X)
        return unscale_inplace(self.scaler_, out)

    def _step_errors(self, X):
        """Squared reconstruction error per step ``(n, n_timesteps_)``, NaN on padding.

        Averaged over features, in the scaled units the network is trained in.
        """
        self._require(RECONSTRUCTION, "the reconstruction error")
        return self._map_sequences(
            lambda batch: np.mean(np.square(self._reconstruct_scaled(batch) - batch), axis=2),
            X,
        )

    def _reconstruction_errors(self, X):
        """Mean squared reconstruction error of each sequence, float64, scaled units."""
        self._require(RECONSTRUCTION, "the reconstruction error")
        return self._map_sequences(self._reconstruction_error, X, dtype=np.float64)

    def _reconstruction_error(self, batch):
        """Per-sequence mean squared error over the valid steps of one scaled batch."""
        sq = np.square(self._reconstruct_scaled(batch) - batch)  # NaN on padding
        return np.nanmean(sq.reshape(len(sq), -1), axis=1, dtype=np.float64)

    def _objective(self, batch):
        """Per-sequence training loss (mean squared error) on one scaled batch."""
        spec = self._fit_spec
        if spec["mode"] == "reconstruct":
            return self._reconstruction_error(batch)
        lengths = valid_lengths(batch)
        k = spec["n_future"]
        if lengths.min() <= k:
            raise ValueError(
                f"Scoring in mode={spec['mode']!r} compares the predicted last "
                f"n_future={k} steps of each sequence with the true ones, so "
                f"sequences need more than {k} steps; the shortest has {lengths.min()}."
            )
        past, future = split_future(batch, lengths, k)
        error = np.mean(np.square(self._predict(past, FUTURE) - future), axis=(1, 2))
        if spec["mode"] == "predict":
            return error
        weight = spec["future_weight"]
        return (1 - weight) * self._reconstruction_error(past) + weight * error

    def score_samples(self, X):
        """Negative training loss of each sequence: how well the model explains it.

        In "reconstruct" mode this is minus the mean squared reconstruction
        error over valid steps and features; in "predict" mode minus the
        error of predicting each sequence's last ``n_future`` steps from the
        steps before; in "composite" mode the weighted sum of both, as in
        training. Errors are in the scaled units the network is trained in.
        Lower means more abnormal (the scikit-learn outlier convention).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            Minus the per-sequence mean squared error.
        """
        return -self._map_sequences(self._objective, X)

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

    def save(self, path):
        """Save the fitted transformer to one file, loadable without running code.

        The file (a zip archive) holds the Keras model in the ``.keras``
        format, the parameters and fitted state as JSON and the scaler's
        arrays; :meth:`load` reads it with Keras safe mode and
        ``allow_pickle=False``. Training-only ``callbacks`` are not saved.

        Parameters
        ----------
        path : str or path-like
            Destination file, e.g. ``"encoder.lstmae"``.

        Returns
        -------
        path : str or path-like
            The path written.
        """
        return save_transformer(self, path)

    @classmethod
    def load(cls, path):
        """Load a transformer written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            File written by :meth:`save`.

        Returns
        -------
        LSTMAutoencoderTransformer
            The fitted transformer; ``transform`` gives the same output as
            the saved one.
        """
        return load_transformer(path, cls)

    def _restore_model(self, model):
        self.model_ = model
        self._graphs = AutoencoderGraphs(model)

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be the live __dict__ itself
        state.pop("_graphs", None)  # rebuilt from model_ so weights stay shared
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in state:
            self._restore_model(self.model_)
