"""The trained autoencoder as one value: Keras model, inference graphs, scaler and training spec."""

from dataclasses import dataclass

import numpy as np

from . import _inference as inference
from ._config import TrainingSpec
from ._inference import InferenceFunction
from ._network import AutoencoderGraphs

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
    :class:`~sklearn_lstm_ae._sequences.PaddedSequences`, or a
    :class:`~sklearn_lstm_ae._inference.LazySequences` read batch by batch)
    or codes, with explicit :class:`InferenceOptions`.

    Parameters
    ----------
    model : keras.Model
        The training graph made by :func:`~sklearn_lstm_ae._network.build_autoencoder`.
    scaler : transformer or None
        The fitted per-feature scaler.
    spec : TrainingSpec
        What the model was trained for.
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
            "_data_format": self.data_format,
            "feature_names_in_": None if names is None else [str(n) for n in names],
        }

    @classmethod
    def from_state(cls, model, scaler, state):
        """Rebuild from a Keras model, a scaler and the fields of :meth:`to_state`."""
        names = state["feature_names_in_"]
        return cls(
            model,
            scaler,
            TrainingSpec.from_dict(state["_fit_spec"]),
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
        return self.graphs.latent_dim

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
    def encode(self, seqs, options):
        """Codes ``(n, latent_dim)`` of validated, scaled sequences."""
        return inference.encode(self, seqs, options)

    def decode(self, codes, lengths, options):
        """Sequences in original units decoded from ``codes`` (a list when ``lengths``)."""
        return inference.decode(self, codes, lengths, options)

    def reconstruct(self, seqs, options):
        """Reconstructions in original units, forward order, NaN on padding."""
        return inference.reconstruct(self, seqs, options)

    def forecast(self, seqs, options):
        """The ``n_future`` steps predicted after each sequence, original units."""
        return inference.forecast(self, seqs, options)

    def errors(self, seqs, options, *, per_step=False):
        """Squared reconstruction errors in scaled units.

        The mean over each sequence's valid steps and features (float64), or
        with ``per_step`` the mean over features of every step (NaN on padding).
        """
        if per_step:
            return inference.step_errors(self, seqs, options)
        return inference.reconstruction_errors(self, seqs, options)

    def objectives(self, seqs, options):
        """Each sequence's decoder loss (minus ``score_samples``)."""
        return inference.objectives(self, seqs, options)
