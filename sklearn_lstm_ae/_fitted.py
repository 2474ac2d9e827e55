"""The trained autoencoder as one value: its Keras model, scaler, training spec and inference."""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

from ._config import NetworkConfig, TrainingSpec
from ._data.scaling import unscale_inplace
from ._data.sequences import unpad_sequences
from ._data.steps import check_future_lengths, reverse_steps, split_future, valid_lengths
from ._inference import InferenceFunction, map_batches, map_sequences
from ._keras.network import AutoencoderGraphs
from ._names import FUTURE, RECONSTRUCTION

__all__ = ["FittedAutoencoder", "InferenceOptions", "SPEC_FIELDS", "STATE_FIELDS"]

#: What a model was trained for: the fields of the TrainingSpec saved with it.
SPEC_FIELDS = tuple(TrainingSpec().to_dict())
#: The one list of fitted fields: :meth:`FittedAutoencoder.to_state` writes
#: exactly these, the saved file's schema checks them, ``from_state`` reads them.
STATE_FIELDS = (
    "n_timesteps_",
    "n_features_",
    "n_features_in_",
    "history_",
    "_fit_on_table",
    "_padded_fit",
    "_fit_spec",
    "_network",
    "_data_format",
    "feature_names_in_",
)


@dataclass(frozen=True)
class InferenceOptions:
    """How inference runs: sequences per batch and XLA compilation.

    Parameters
    ----------
    batch_size : int or None
        Sequences per inference batch; None sizes batches by their length.
    jit_compile : bool or None
        True compiles every batch shape with XLA, False never, None the
        shapes that recur (on CPU).
    """

    batch_size: int | None = None
    jit_compile: bool | None = None


class FittedAutoencoder:
    """A trained autoencoder and everything inference needs, reading no estimator.

    Training returns one; ``LSTMAutoencoderTransformer`` keeps it as its one
    fitted attribute and derives ``model_``, ``scaler_``, ``history_``,
    ``n_timesteps_``, ``n_features_`` and the feature names from it. Its
    methods take sequences that are already validated and scaled (a
    :class:`~sklearn_lstm_ae._data.sequences.PaddedSequences`, or a
    :class:`~sklearn_lstm_ae._inference.LazySequences` read batch by batch)
    or codes, with explicit :class:`InferenceOptions`.

    Parameters
    ----------
    model : keras.Model
        The training graph made by :func:`~sklearn_lstm_ae._keras.network.build_autoencoder`.
    scaler : transformer or None
        The fitted per-feature scaler.
    spec : TrainingSpec
        What the model was trained for.
    network : NetworkConfig
        The layers it was built with.
    data_format : {"channels_last", "channels_first"}
        The layout of the sequences fit read, which inference reads and writes.
    n_timesteps, n_features : int
        Longest training sequence and features per step.
    masked : bool
        Whether the training graph reads NaN padding as a mask.
    table : bool
        Whether it was fitted on a 2D table (one univariate sequence a row).
    n_features_in : int
        Columns (2D tables) or features (sequences) seen in fit.
    feature_names_in : ndarray of str or None
        Column names of a DataFrame seen in fit.
    history : dict of list of float
        Per-epoch training values.
    """

    def __init__(
        self,
        model,
        scaler,
        spec,
        *,
        network,
        data_format,
        n_timesteps,
        n_features,
        masked,
        table,
        n_features_in,
        feature_names_in=None,
        history=None,
    ):
        self.model = model
        self.graphs = AutoencoderGraphs(model)
        self.scaler = scaler
        self.spec = spec
        self.network = network
        self.data_format = data_format
        self.n_timesteps, self.n_features = int(n_timesteps), int(n_features)
        self.masked, self.table = bool(masked), bool(table)
        self.n_features_in = int(n_features_in)
        self.feature_names_in = feature_names_in
        self.history = {} if history is None else history
        self._functions = {}

    def attach(self, model, history):
        """Give the trained ``model`` and its ``history`` (training made this object first)."""
        self.model, self.history = model, history
        self.graphs = AutoencoderGraphs(model)
        self._functions = {}

    # ------------------------------------------------------------------ state
    def to_state(self):
        """The JSON-safe fields of the fitted state (the model and scaler are saved apart)."""
        names = self.feature_names_in
        return {
            "n_timesteps_": self.n_timesteps,
            "n_features_": self.n_features,
            "n_features_in_": self.n_features_in,
            "history_": self.history,
            "_fit_on_table": self.table,
            "_padded_fit": self.masked,
            "_fit_spec": self.spec.to_dict(),
            "_network": self.network.to_dict(),
            "_data_format": self.data_format,
            "feature_names_in_": None if names is None else [str(n) for n in names],
        }

    @classmethod
    def from_state(cls, model, scaler, state, network=None):
        """Rebuild from a Keras model, a scaler and the fields of :meth:`to_state`.

        ``network`` is ``state["_network"]`` as a loader's schema checked and
        built it; None builds it from ``state`` as :meth:`to_state` wrote it.
        """
        if network is None:
            network = NetworkConfig.from_dict(state["_network"])
        names = state["feature_names_in_"]
        return cls(
            model,
            scaler,
            TrainingSpec.from_dict(state["_fit_spec"]),
            network=network,
            data_format=state["_data_format"],
            n_timesteps=state["n_timesteps_"],
            n_features=state["n_features_"],
            masked=state["_padded_fit"],
            table=state["_fit_on_table"],
            n_features_in=state["n_features_in_"],
            feature_names_in=None if names is None else np.asarray(names, dtype=object),
            history=state["history_"],
        )

    def __getstate__(self):
        state = dict(vars(self))
        # Graphs and traced functions are rebuilt from the model, so the
        # inference models keep sharing its weights after unpickling.
        state.pop("graphs")
        state["_functions"] = {}
        return state

    def __setstate__(self, state):
        vars(self).update(state)
        self.graphs = AutoencoderGraphs(self.model)

    # -------------------------------------------------------------- functions
    @property
    def latent_dim(self):
        return self.graphs.code_width

    @property
    def heads(self):
        """The decoders the model was trained with, reconstruction first."""
        return self.graphs.heads

    def function(self, kind, *args, jit_compile=None):
        """The traced :class:`InferenceFunction` of one graph, built once per model."""
        key = (kind, *args, jit_compile)
        if key not in self._functions:
            graph = getattr(self.graphs, kind)(*args)
            self._functions[key] = InferenceFunction(graph, jit_compile)
        return self._functions[key]

    @property
    def functions(self):
        """The inference functions traced so far."""
        return list(self._functions.values())

    # -------------------------------------------------------------- inference
    def _predict(self, batch, options, head=None):
        """Codes (``head=None``) or a decoder's output for one scaled batch of sequences.

        Batches without padding take the unmasked graph (same function, faster
        on CPU).
        """
        padded = bool(np.isnan(batch[:, -1, 0]).any())
        jit = options.jit_compile
        if head is None:
            return self.function("encoder", padded, jit_compile=jit)(batch)
        return self.function("autoencoder", padded, head, jit_compile=jit)(batch)

    def _require(self, head, method):
        """Raise unless the model was trained with decoder ``head``."""
        if head in self.heads:
            return
        mode = self.spec.mode
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

    def _reconstruct_scaled(self, batch, options):
        """Forward-ordered reconstruction of a batch, scaled units, NaN on padding."""
        out = np.asarray(self._predict(batch, options, RECONSTRUCTION))
        if self.spec.reverse_target:
            out = reverse_steps(out, valid_lengths(batch))
        out[np.isnan(batch)] = np.nan
        return out

    def encode(self, seqs, options):
        """Codes of validated, scaled sequences."""
        return map_sequences(lambda batch: self._predict(batch, options), seqs, options)

    def decode(self, X, lengths, options):
        """Sequences decoded from codes X, forward order, original units."""
        self._require(RECONSTRUCTION, "inverse_transform")
        Z = check_array(X, dtype=np.float32)
        latent_dim = self.latent_dim
        if Z.shape[1] != latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but codes of this transformer have "
                f"{latent_dim} (latent_dim={self.graphs.latent_dim}, plus the pooled "
                "front end with conv_pooling='appended'). Pass the output of transform."
                if latent_dim != self.graphs.latent_dim
                else f"X has {Z.shape[1]} columns, but codes of this transformer have "
                f"latent_dim={latent_dim}. Pass the output of transform."
            )
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (len(Z),):
                raise ValueError(
                    f"lengths must hold one length per code ({len(Z)}), got shape {lengths.shape}."
                )
        steps = None  # the training length, n_timesteps
        if lengths is not None and len(lengths):
            steps = max(int(lengths.max()), self.n_timesteps)
            steps = None if steps == self.n_timesteps else steps
        out = map_batches(
            options,
            self.function("decoder", RECONSTRUCTION, steps, jit_compile=options.jit_compile),
            Z,
            steps=steps or self.n_timesteps,
        )
        if self.spec.reverse_target:
            full = np.full(len(out), out.shape[1])
            out = reverse_steps(out, full if lengths is None else np.clip(lengths, 1, None))
        unscale_inplace(self.scaler, out)
        return out if lengths is None else unpad_sequences(out, lengths)

    def reconstruct(self, seqs, options):
        """Encoded and decoded sequences in the original units, NaN on padding."""
        self._require(RECONSTRUCTION, "reconstruct")
        out = map_sequences(
            lambda batch: self._reconstruct_scaled(batch, options), seqs, options, timewise=True
        )
        return unscale_inplace(self.scaler, out)

    def forecast(self, seqs, options):
        """The ``n_future`` steps predicted after each sequence, original units."""
        self._require(FUTURE, "forecast")
        out = map_sequences(lambda batch: self._predict(batch, options, FUTURE), seqs, options)
        return unscale_inplace(self.scaler, out)

    def _squared_errors(self, batch, options):
        """``(n, n_timesteps, n_features)`` squared errors of one scaled batch, NaN on padding."""
        return np.square(self._reconstruct_scaled(batch, options) - batch)

    def _step_errors(self, seqs, options, per_feature=False):
        """Squared reconstruction error per step ``(n, n_timesteps)``, NaN on padding.

        Averaged over features (or, with ``per_feature``, each feature's:
        ``(n, n_timesteps, n_features)``), in the scaled units the network is
        trained in.
        """
        self._require(RECONSTRUCTION, "the reconstruction error")

        def errors(batch):
            sq = self._squared_errors(batch, options)
            return sq if per_feature else np.mean(sq, axis=2)

        return map_sequences(errors, seqs, options, timewise=True)

    def _reconstruction_error(self, batch, options, per_feature=False):
        """Per-sequence mean squared error over the valid steps of one scaled batch
        (with ``per_feature``, each feature's: ``(n, n_features)``)."""
        sq = self._squared_errors(batch, options)
        if per_feature:
            return np.nanmean(sq, axis=1, dtype=np.float64)
        return np.nanmean(sq.reshape(len(sq), -1), axis=1, dtype=np.float64)

    def _reconstruction_errors(self, seqs, options, per_feature=False):
        """Mean squared reconstruction error of each sequence (or of each of its features:
        ``(n, n_features)``), float64, scaled units."""
        self._require(RECONSTRUCTION, "the reconstruction error")
        return map_sequences(
            lambda batch: self._reconstruction_error(batch, options, per_feature),
            seqs,
            options,
            np.float64,
        )

    def _objective(self, batch, options):
        """Per-sequence decoder loss (mean squared error) on one scaled batch."""
        spec = self.spec
        if spec.mode == "reconstruct":
            return self._reconstruction_error(batch, options)
        lengths = valid_lengths(batch)
        check_future_lengths(lengths, spec, "Scoring")
        past, future = split_future(batch, lengths, spec.n_future)
        error = np.mean(np.square(self._predict(past, options, FUTURE) - future), axis=(1, 2))
        if spec.mode == "predict":
            return error
        weight = spec.future_weight
        return (1 - weight) * self._reconstruction_error(past, options) + weight * error

    def objectives(self, seqs, options):
        """Per-sequence decoder loss (the negative of ``score_samples``)."""
        return map_sequences(lambda batch: self._objective(batch, options), seqs, options)

    def errors(self, seqs, options, *, per_step=False, per_feature=False):
        """Squared reconstruction errors in scaled units.

        The mean over each sequence's valid steps and features (float64), or
        with ``per_step`` the mean over features of every step (NaN on padding);
        ``per_feature`` keeps the features apart (a last axis of ``n_features``).
        """
        if per_step:
            return self._step_errors(seqs, options, per_feature)
        return self._reconstruction_errors(seqs, options, per_feature)
