"""Bounding-box ops of tf.image: greedy non-max suppression (NonMaxSuppressionV3/V4/V5, soft
NMS, WithOverlaps), CombinedNonMaxSuppression and DrawBoundingBoxesV2.

Boxes are [y1, x1, y2, x2] (either corner order). NMS is sequential by nature: the loop runs
over the boxes it selects, each step comparing one candidate with the selected boxes at once.
None of these ops has a gradient (as in TF).
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for


def _corners(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    y1, x1, y2, x2 = (boxes[..., k] for k in range(4))
    ymin, ymax = np.minimum(y1, y2), np.maximum(y1, y2)
    xmin, xmax = np.minimum(x1, x2), np.maximum(x1, x2)
    return ymin, xmin, ymax, xmax, (ymax - ymin) * (xmax - xmin)


def _iou_fn(boxes: np.ndarray) -> Any:
    """similarity(i, js): the IoU of box i with boxes js (0 where either box is empty)."""
    ymin, xmin, ymax, xmax, area = _corners(boxes.astype(np.float64))

    def sim(i: int, js: np.ndarray) -> np.ndarray:
        h = np.maximum(np.minimum(ymax[i], ymax[js]) - np.maximum(ymin[i], ymin[js]), 0.0)
        w = np.maximum(np.minimum(xmax[i], xmax[js]) - np.maximum(xmin[i], xmin[js]), 0.0)
        inter = h * w
        with np.errstate(all="ignore"):
            iou = inter / (area[i] + area[js] - inter)
        return np.where((area[i] <= 0) | (area[js] <= 0), 0.0, iou)

    return sim


def _greedy(
    sim: Any, scores: np.ndarray, max_out: int, thr: float, score_thr: float, sigma: float = 0.0
) -> tuple[list[int], list[float]]:
    """Greedy (soft) NMS: the best remaining candidate is kept unless it overlaps a kept box by
    more than `thr`; with sigma > 0 overlaps also decay its score by exp(-iou^2 / (2 sigma)),
    and a decayed candidate goes back to the queue while its score stays above score_thr.
    Equal scores go lowest index first."""
    scale = -0.5 / sigma if sigma > 0 else 0.0
    queue = [(-float(s), i, 0) for i, s in enumerate(scores) if s > score_thr]
    heapq.heapify(queue)
    kept: list[int] = []
    kept_scores: list[float] = []
    while queue and len(kept) < max_out:
        neg, i, checked = heapq.heappop(queue)
        original = score = -neg
        if checked < len(kept):
            # against the boxes kept since this candidate was last looked at, newest first
            s = sim(i, np.array(kept[checked:][::-1]))
            if np.any(s > thr):
                continue
            if scale:
                for w in np.exp(scale * s * s):
                    score *= float(w)
                    if score <= score_thr:
                        break
        if score == original:
            kept.append(i)
            kept_scores.append(score)
        elif score > score_thr:
            heapq.heappush(queue, (-score, i, len(kept)))
    return kept, kept_scores


def _scalar(op: OpDef, v: np.ndarray, what: str) -> Any:
    if np.ndim(v) != 0:
        raise op.error(f"{what} must be a scalar; got shape {np.shape(v)}.")
    return np.asarray(v).item()


def _check_nms_inputs(op: OpDef, boxes: Tensor, scores: Tensor, what: str = "boxes") -> None:
    if boxes.dtype.np.kind != "f" or scores.dtype.np.kind != "f":
        raise op.error(
            f"{what} and scores must be floats; got {boxes.dtype.name} and {scores.dtype.name}.",
            cls=DTypeError,
        )
    kb, ks = boxes.shape.as_list() if boxes.shape.ndims is not None else None, None
    if scores.shape.ndims is not None:
        ks = scores.shape.as_list()
    if what == "boxes" and kb is not None and (len(kb) != 2 or kb[1] not in (None, 4)):
        raise op.error(f"boxes must have shape [num_boxes, 4]; got {boxes.shape}.")
    if what == "overlaps" and kb is not None and len(kb) != 2:
        raise op.error(f"overlaps must have shape [num_boxes, num_boxes]; got {boxes.shape}.")
    if ks is not None and len(ks) != 1:
        raise op.error(f"scores must have shape [num_boxes]; got {scores.shape}.")
    if kb is not None and ks is not None and None not in (kb[0], ks[0]) and kb[0] != ks[0]:
        raise op.error(
            f"{what} and scores must have the same number of boxes; got {what}: "
            f"{boxes.shape}, scores: {scores.shape}."
        )


def _run_nms(
    op: OpDef,
    sim_input: np.ndarray,
    scores: np.ndarray,
    mos: Any,
    thr: Any,
    score_thr: Any,
    sigma: Any = 0.0,
    overlaps: bool = False,
) -> tuple[list, list, int]:
    n = scores.shape[0]
    if sim_input.shape[0] != n:
        raise op.error(
            f"boxes and scores must have the same number of boxes; got {sim_input.shape} and "
            f"{scores.shape}."
        )
    max_out = int(_scalar(op, mos, "max_output_size"))
    if max_out < 0:
        raise op.error(f"max_output_size must be non-negative; got {max_out}.")
    thr = float(_scalar(op, thr, "iou_threshold"))
    if not overlaps and not 0.0 <= thr <= 1.0:
        raise op.error(f"iou_threshold must be in [0, 1]; got {thr}.")
    sigma = float(_scalar(op, sigma, "soft_nms_sigma"))
    if sigma < 0:
        raise op.error(f"soft_nms_sigma must be non-negative; got {sigma}.")
    if overlaps:
        sim_m = sim_input.astype(np.float64)

        def sim(i: int, js: np.ndarray) -> np.ndarray:
            return sim_m[i, js]
    else:
        sim = _iou_fn(sim_input)
    kept, kept_scores = _greedy(
        sim, scores, max_out, thr, float(_scalar(op, score_thr, "score_threshold")), sigma
    )
    return kept, kept_scores, max_out


class _Nms(OpDef):
    differentiable = False
    what = "boxes"

    def _common(self, boxes: Tensor, scores: Tensor, *scalars: Tensor) -> None:
        _check_nms_inputs(self, boxes, scores, self.what)
        for t in scalars:
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{t.op.name} must be a scalar; got shape {t.shape}.")


@register_op("NonMaxSuppressionV3")
class NonMaxSuppressionV3(_Nms):
    """selected = greedy NMS of boxes by score: indices, best first."""

    def infer(self, boxes: Tensor, scores: Tensor, mos: Tensor, thr: Tensor, st: Tensor) -> Any:
        self._common(boxes, scores, mos, thr, st)
        return spec([None], dtypes.int32)

    def compute(self, boxes: Any, scores: Any, mos: Any, thr: Any, st: Any) -> np.ndarray:
        kept, _, _ = _run_nms(self, boxes, scores, mos, thr, st)
        return np.array(kept, np.int32)


@register_op("NonMaxSuppressionWithOverlaps")
class NonMaxSuppressionWithOverlaps(_Nms):
    """selected = greedy NMS by score under a given pairwise overlap matrix."""

    what = "overlaps"

    def infer(self, ov: Tensor, scores: Tensor, mos: Tensor, thr: Tensor, st: Tensor) -> Any:
        self._common(ov, scores, mos, thr, st)
        return spec([None], dtypes.int32)

    def compute(self, ov: Any, scores: Any, mos: Any, thr: Any, st: Any) -> np.ndarray:
        kept, _, _ = _run_nms(self, ov, scores, mos, thr, st, overlaps=True)
        return np.array(kept, np.int32)


def _padded(kept: list, max_out: int, pad: bool) -> np.ndarray:
    out = np.array(kept, np.int32)
    return np.pad(out, (0, max_out - len(kept))) if pad else out


@register_op("NonMaxSuppressionV4")
class NonMaxSuppressionV4(_Nms):
    """selected, valid: NMS indices (padded with 0 to max_output_size when asked) and how
    many of them are real."""

    def infer(self, boxes: Tensor, scores: Tensor, mos: Tensor, thr: Tensor, st: Tensor) -> Any:
        self._common(boxes, scores, mos, thr, st)
        return [spec([_static_count(self, mos)], dtypes.int32), spec([], dtypes.int32)]

    def compute(self, boxes: Any, scores: Any, mos: Any, thr: Any, st: Any) -> list:
        kept, _, max_out = _run_nms(self, boxes, scores, mos, thr, st)
        pad = self.attrs["pad_to_max_output_size"]
        return [_padded(kept, max_out, pad), np.array(len(kept), np.int32)]


@register_op("NonMaxSuppressionV5")
class NonMaxSuppressionV5(_Nms):
    """selected, selected_scores, valid: (soft) NMS; with soft_nms_sigma > 0 overlapping
    boxes have their scores decayed instead of being dropped outright."""

    def infer(
        self, boxes: Tensor, scores: Tensor, mos: Tensor, thr: Tensor, st: Tensor, sg: Tensor
    ) -> Any:
        self._common(boxes, scores, mos, thr, st, sg)
        n = _static_count(self, mos)
        return [spec([n], dtypes.int32), spec([n], scores.dtype), spec([], dtypes.int32)]

    def compute(self, boxes: Any, scores: Any, mos: Any, thr: Any, st: Any, sg: Any) -> list:
        kept, kept_scores, max_out = _run_nms(self, boxes, scores, mos, thr, st, sg)
        pad = self.attrs["pad_to_max_output_size"]
        sc = np.array(kept_scores, scores.dtype)
        if pad:
            sc = np.pad(sc, (0, max_out - len(kept)))
        return [_padded(kept, max_out, pad), sc, np.array(len(kept), np.int32)]


def _static_count(op: OpDef, mos: Tensor) -> int | None:
    from flowzero.ops.common import static_value

    if not op.attrs.get("pad_to_max_output_size"):
        return None
    v = static_value(mos)
    return None if v is None else int(v)


def _nms_args(boxes: Any, scores: Any, mos: Any, thr: Any, st: Any) -> list[Tensor]:
    b = convert_to_tensor(boxes)
    s = convert_to_tensor(scores, dtype=b.dtype if not isinstance(scores, Tensor) else None)
    return [
        b,
        s,
        convert_to_tensor(mos, dtype=dtypes.int32),
        convert_to_tensor(thr, dtype=s.dtype if not isinstance(thr, Tensor) else None),
        convert_to_tensor(st, dtype=s.dtype if not isinstance(st, Tensor) else None),
    ]


def non_max_suppression(
    boxes: Any,
    scores: Any,
    max_output_size: Any,
    iou_threshold: Any = 0.5,
    score_threshold: Any = float("-inf"),
    name: str | None = None,
) -> Tensor:
    """Greedy non-max suppression: the indices of at most max_output_size boxes, by
    descending score, none overlapping a better one by IoU > iou_threshold, and only boxes
    scoring above score_threshold.

    Example:
        >>> boxes = tf.constant([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]])
        >>> scores = tf.constant([0.9, 0.8, 0.7])
        >>> idx = tf.image.non_max_suppression(boxes, scores, 10)
        >>> tf.Session().run(idx)   # box 1 overlaps box 0 (IoU 0.82)
        array([0, 2], dtype=int32)
    """
    with _graph_for(boxes, scores, max_output_size, iou_threshold, score_threshold):
        args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)
        return apply_op(NonMaxSuppressionV3, args, name=name)


def non_max_suppression_padded(
    boxes: Any,
    scores: Any,
    max_output_size: Any,
    iou_threshold: Any = 0.5,
    score_threshold: Any = float("-inf"),
    pad_to_max_output_size: bool = False,
    name: str | None = None,
    sorted_input: bool = False,
    canonicalized_coordinates: bool = False,
    tile_size: int = 512,
) -> tuple[Tensor, Tensor]:
    """non_max_suppression returning (selected_indices, valid_outputs); with
    pad_to_max_output_size the indices are padded with 0 to max_output_size (TF 1.15's
    NonMaxSuppressionV4; sorted_input, canonicalized_coordinates and tile_size, TF 2's batched
    variant's hints, change nothing here)."""
    with _graph_for(boxes, scores, max_output_size, iou_threshold, score_threshold):
        args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)
        attrs = {"pad_to_max_output_size": bool(pad_to_max_output_size)}
        idx, valid = apply_op(NonMaxSuppressionV4, args, attrs, name=name)
        return idx, valid


def non_max_suppression_with_scores(
    boxes: Any,
    scores: Any,
    max_output_size: Any,
    iou_threshold: Any = 0.5,
    score_threshold: Any = float("-inf"),
    soft_nms_sigma: Any = 0.0,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """(selected_indices, selected_scores): non_max_suppression, or soft-NMS (Bodla et al.)
    when soft_nms_sigma > 0: an overlap decays a candidate's score by exp(-iou^2 / (2 sigma))
    and it is dropped once its score is at or below score_threshold.

    Example:
        >>> b = tf.constant([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]])
        >>> s = tf.constant([0.9, 0.8, 0.7])
        >>> idx, sc = tf.image.non_max_suppression_with_scores(b, s, 10, soft_nms_sigma=0.5)
        >>> tf.Session().run(idx)
        array([0, 2], dtype=int32)
    """
    with _graph_for(boxes, scores, max_output_size, iou_threshold, score_threshold):
        args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)
        sg = convert_to_tensor(soft_nms_sigma, dtype=args[1].dtype)
        attrs = {"pad_to_max_output_size": False}
        idx, sc, _ = apply_op(NonMaxSuppressionV5, args + [sg], attrs, name=name)
        return idx, sc


def non_max_suppression_overlaps(
    overlaps: Any,
    scores: Any,
    max_output_size: Any,
    overlap_threshold: Any = 0.5,
    score_threshold: Any = float("-inf"),
    name: str | None = None,
) -> Tensor:
    """Greedy non-max suppression under a given [N, N] overlap matrix (any similarity):
    a candidate is dropped when it overlaps a kept box by more than overlap_threshold."""
    with _graph_for(overlaps, scores, max_output_size, overlap_threshold, score_threshold):
        args = _nms_args(overlaps, scores, max_output_size, overlap_threshold, score_threshold)
        return apply_op(NonMaxSuppressionWithOverlaps, args, name=name)


# -- combined NMS ------------------------------------------------------------------------------
@register_op("CombinedNonMaxSuppression")
class CombinedNonMaxSuppression(OpDef):
    """boxes, scores, classes, valid: per-class NMS of each batch entry, merged by score."""

    differentiable = False

    def infer(
        self, boxes: Tensor, scores: Tensor, mpc: Tensor, mts: Tensor, thr: Tensor, st: Tensor
    ) -> list[TensorSpec]:
        from flowzero.ops.common import static_value

        kb, ks = boxes.shape, scores.shape
        if kb.ndims not in (None, 4) or (kb.ndims == 4 and kb.as_list()[-1] not in (None, 4)):
            raise self.error(f"boxes must have shape [batch, boxes, q, 4]; got {kb}.")
        if ks.ndims not in (None, 3):
            raise self.error(f"scores must have shape [batch, boxes, classes]; got {ks}.")
        batch = kb.as_list()[0] if kb.ndims else (ks.as_list()[0] if ks.ndims else None)
        total = static_value(mts)
        det: int | None = None if total is None else int(total)
        if self.attrs["pad_per_class"]:
            per, classes = static_value(mpc), ks.as_list()[2] if ks.ndims else None
            det = (
                None
                if per is None or classes is None or det is None
                else min(int(per) * classes, det)
            )
        return [
            spec([batch, det, 4], dtypes.float32),
            spec([batch, det], dtypes.float32),
            spec([batch, det], dtypes.float32),
            spec([batch], dtypes.int32),
        ]

    def compute(self, boxes: Any, scores: Any, mpc: Any, mts: Any, thr: Any, st: Any) -> list:
        b, n, q, _ = boxes.shape
        if scores.shape[:2] != (b, n) or q not in (1, scores.shape[2]):
            raise self.error(
                f"boxes [batch, boxes, q, 4] (q 1 or classes) and scores [batch, boxes, "
                f"classes] do not fit; got boxes: {boxes.shape}, scores: {scores.shape}."
            )
        classes = scores.shape[2]
        per, total = int(mpc), int(mts)
        det = min(per * classes, total) if self.attrs["pad_per_class"] else total
        thr, st = float(thr), float(st)
        out_b = np.zeros((b, det, 4), np.float32)
        out_s = np.zeros((b, det), np.float32)
        out_c = np.zeros((b, det), np.float32)
        valid = np.zeros(b, np.int32)
        for i in range(b):
            found = []  # (score, class, box index), all classes
            for c in range(classes):
                bx = boxes[i, :, 0 if q == 1 else c, :]
                kept, kept_scores = _greedy(_iou_fn(bx), scores[i, :, c], per, thr, st)
                found += [(s, c, k) for k, s in zip(kept, kept_scores)]
            found.sort(key=lambda t: -t[0])  # stable: class order, then NMS order
            found = found[:det]
            for j, (s, c, k) in enumerate(found):
                out_b[i, j] = boxes[i, k, 0 if q == 1 else c, :]
                out_s[i, j], out_c[i, j] = s, c
            valid[i] = len(found)
        if self.attrs["clip_boxes"]:
            np.clip(out_b, 0.0, 1.0, out=out_b)
        return [out_b, out_s, out_c, valid]


def combined_non_max_suppression(
    boxes: Any,
    scores: Any,
    max_output_size_per_class: Any,
    max_total_size: Any,
    iou_threshold: Any = 0.5,
    score_threshold: Any = float("-inf"),
    pad_per_class: bool = False,
    clip_boxes: bool = True,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-class greedy NMS over a batch, merged by score: (nmsed_boxes [B, D, 4],
    nmsed_scores [B, D], nmsed_classes [B, D], valid_detections [B]), D = max_total_size
    (or min(it, max_output_size_per_class * classes) with pad_per_class), zero-padded; boxes
    [B, N, q, 4] with q = 1 (shared by the classes) or the number of classes."""
    with _graph_for(boxes, scores):
        b = convert_to_tensor(boxes, dtype=dtypes.float32)
        s = convert_to_tensor(scores, dtype=dtypes.float32)
        args = [
            b,
            s,
            convert_to_tensor(max_output_size_per_class, dtype=dtypes.int32),
            convert_to_tensor(max_total_size, dtype=dtypes.int32),
            convert_to_tensor(iou_threshold, dtype=dtypes.float32),
            convert_to_tensor(score_threshold, dtype=dtypes.float32),
        ]
        attrs = {"pad_per_class": bool(pad_per_class), "clip_boxes": bool(clip_boxes)}
        out = apply_op(CombinedNonMaxSuppression, args, attrs, name=name)
        return tuple(out)  # type: ignore[return-value]


# -- drawing -----------------------------------------------------------------------------------
_DEFAULT_COLORS = np.array(
    [
        [1.0, 1.0, 0.0, 1.0],
        [0.0, 0.0, 1.0, 1.0],
        [1.0, 0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0, 1.0],
        [0.5, 0.0, 0.5, 1.0],
        [0.5, 0.5, 0.0, 1.0],
        [0.5, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.5, 1.0],
        [0.0, 1.0, 1.0, 1.0],
        [1.0, 0.0, 1.0, 1.0],
    ]
)


@register_op("DrawBoundingBoxesV2")
class DrawBoundingBoxesV2(OpDef):
    """images with each box's 1-pixel outline drawn in its color (boxes in order, later over
    earlier; box k takes color k mod the number of colors)."""

    differentiable = False

    def infer(self, images: Tensor, boxes: Tensor, colors: Tensor) -> TensorSpec:
        if images.dtype.np.kind != "f":
            raise self.error(f"images must be floats; got {images.dtype.name}.", cls=DTypeError)
        if images.shape.ndims not in (None, 4):
            raise self.error(
                f"images must be 4-D [batch, height, width, depth]; got {images.shape}."
            )
        if boxes.shape.ndims not in (None, 3):
            raise self.error(f"boxes must be 3-D [batch, num_boxes, 4]; got {boxes.shape}.")
        return spec(images.shape, images.dtype)

    def compute(self, images: np.ndarray, boxes: np.ndarray, colors: np.ndarray) -> np.ndarray:
        b, h, w, depth = images.shape
        if depth not in (1, 3, 4):
            raise self.error(
                f"Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA); got {depth}."
            )
        if boxes.shape[0] != b or boxes.shape[-1] != 4:
            raise self.error(
                f"boxes must be [batch, num_boxes, 4] with the images' batch; got boxes: "
                f"{boxes.shape}, images: {images.shape}."
            )
        table = _DEFAULT_COLORS if colors.size == 0 else colors.astype(np.float64)
        if table.shape[-1] < depth:
            raise self.error(f"colors must have at least {depth} channels; got {colors.shape}.")
        out = images.copy()
        for i in range(b):
            for k in range(boxes.shape[1]):
                color = table[k % len(table), :depth]
                with np.errstate(invalid="ignore"):
                    r0, c0, r1, c1 = np.trunc(boxes[i, k] * [h - 1, w - 1, h - 1, w - 1])
                if not np.all(np.isfinite([r0, c0, r1, c1])):
                    continue
                r0, c0, r1, c1 = int(r0), int(c0), int(r1), int(c1)
                if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
                    continue  # inverted, or wholly outside
                rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
                for r in (r0, r1):
                    if 0 <= r < h:
                        out[i, r, cc0 : cc1 + 1] = color
                for c in (c0, c1):
                    if 0 <= c < w:
                        out[i, rr0 : rr1 + 1, c] = color
        return out


def draw_bounding_boxes(
    images: Any, boxes: Any, name: str | None = None, colors: Any = None
) -> Tensor:
    """Draws each box's outline on a batch of float images [B, H, W, D] (D 1, 3 or 4): boxes
    [B, N, 4] as [y_min, x_min, y_max, x_max] fractions of (H - 1, W - 1); colors [K, 4] RGBA
    to cycle through (default TF's table of 10)."""
    with _graph_for(images, boxes, colors):
        x = convert_to_tensor(images)
        bx = convert_to_tensor(boxes, dtype=dtypes.float32)
        col = convert_to_tensor(
            np.zeros((0, 4), np.float32) if colors is None else colors, dtype=dtypes.float32
        )
        return apply_op(DrawBoundingBoxesV2, [x, bx, col], name=name)
