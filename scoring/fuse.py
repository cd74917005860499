"""Build-time graph rewrite for the sentence model: one fused attention node per layer, then int8.

The torch export spells each self-attention as ~40 small nodes (reshapes, transposes, shape arithmetic,
a NaN guard around the softmax), and onnxruntime's transformer optimizer does not recognise that
pattern. The runtime scores each sentence alone (see ``scoring.model``), so per-node dispatch, not
arithmetic, is much of the cost of a short sentence; replacing each attention block with the
``com.microsoft.Attention`` kernel (``QAttention`` once quantized) removes most of those nodes.

Used by ``scoring.train`` on its fp32 export, and runnable on a shipped int8 artifact
(``python -m scoring.fuse scoring/artifacts/model.onnx``), which it first dequantizes back to the fp32
weights the int8 ones encode. Needs the ``train`` extra (onnx); the runtime never imports this module.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path
from typing import Any

_HEADS = 12
_LAYER = re.compile(r"/encoder/encoder/layer\.(\d+)/attention/self/(query|key|value)/MatMul(?:_quant)?")


def dequantize(int8_path: Path, fp32_path: Path) -> None:
    """Replace each dynamically quantized MatMul (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul)
    with a float MatMul over the weights the int8 tensor encodes; embeddings stay int8."""
    import numpy as np
    import onnx  # type: ignore[import-not-found]
    from onnx import helper, numpy_helper

    model = onnx.load(str(int8_path))
    graph = model.graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant":
            values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list[Any]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    replace: dict[int, Any] = {}
    drop: set[int] = set()
    for n in graph.node:
        if n.op_type != "MatMulInteger":
            continue
        x_q, w_q, _, w_zp = n.input
        dql = producer[x_q]
        (cast,) = consumers[n.output[0]]
        (mul,) = consumers[cast.output[0]]
        scale_mul = producer[next(i for i in mul.input if i != cast.output[0])]
        w_scale = next(i for i in scale_mul.input if i != dql.output[1])
        weight = (values[w_q].astype(np.float32) - values[w_zp].astype(np.float32)) * values[w_scale]
        name = f"{w_q}_fp32"
        graph.initializer.append(numpy_helper.from_array(weight.astype(np.float32), name))
        replace[id(n)] = helper.make_node("MatMul", [dql.input[0], name], [mul.output[0]], name=n.name)
        drop.update((id(cast), id(mul)))
    nodes = [replace.get(id(n), n) for n in graph.node if id(n) not in drop]
    del graph.node[:]
    graph.node.extend(nodes)
    _prune(graph)
    onnx.save(model, str(fp32_path))


def fuse_attention(fp32_path: Path, out_path: Path) -> int:
    """Rewrite each layer's attention into one Attention node; returns how many layers were fused."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fp32_path))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    layers: dict[int, dict[str, Any]] = {}
    for n in graph.node:
        m = _LAYER.fullmatch(n.name)
        if m and n.op_type == "MatMul":
            layers.setdefault(int(m.group(1)), {})[m.group(2)] = n
    if not layers:
        raise ValueError(f"no attention block named like {_LAYER.pattern} in {fp32_path}")
    mask = "attention_mask_int32"
    new_nodes = [
        helper.make_node("Cast", ["attention_mask"], [mask], to=onnx.TensorProto.INT32, name="mask_int32")
    ]
    for layer, proj in sorted(layers.items()):
        weights, biases = [], []
        for part in ("query", "key", "value"):
            mm = proj[part]
            (add,) = consumers[mm.output[0]]
            bias = next(i for i in add.input if i != mm.output[0])
            weights.append(numpy_helper.to_array(inits[mm.input[1]]))
            biases.append(numpy_helper.to_array(inits[bias]))
        x = proj["query"].input[0]
        out = next(
            n.input[0]
            for n in graph.node
            if n.name.startswith(f"/encoder/encoder/layer.{layer}/attention/output/dense/")
            and n.op_type == "MatMul"
        )
        w_name, b_name = f"layer{layer}_qkv_weight", f"layer{layer}_qkv_bias"
        graph.initializer.append(numpy_helper.from_array(np.concatenate(weights, axis=1), w_name))
        graph.initializer.append(numpy_helper.from_array(np.concatenate(biases), b_name))
        new_nodes.append(
            helper.make_node(
                "Attention",
                [x, w_name, b_name, mask],
                [out],
                name=f"/encoder/encoder/layer.{layer}/attention/self/Attention",
                domain="com.microsoft",
                num_heads=_HEADS,
            )
        )
    produced = {o for n in new_nodes for o in n.output}
    kept = [n for n in graph.node if not any(o in produced for o in n.output)]
    del graph.node[:]
    graph.node.extend(_topological(kept + new_nodes, graph))
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    _prune(graph)
    onnx.save(model, str(out_path))
    return len(layers)


def quantize(fp32_path: Path, int8_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, extra_options={"DefaultTensorType": 1}
    )


def _prune(graph: Any) -> None:
    """Drop nodes whose outputs nothing reads, then unused initializers."""
    outputs = {o.name for o in graph.output}
    while True:
        used = {i for n in graph.node for i in n.input} | outputs
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    used = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)


def _topological(nodes: list[Any], graph: Any) -> list[Any]:
    ready = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending, ordered = list(nodes), []
    while pending:
        rest = []
        for n in pending:
            if all(i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError(f"graph has a cycle or a missing input near {rest[0].name}")
        pending = rest
    return ordered


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.fuse")
    parser.add_argument("model", type=Path, help="int8 model.onnx to rewrite in place")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fp32, fused = Path(tmp) / "fp32.onnx", Path(tmp) / "fused.onnx"
        dequantize(args.model, fp32)
        print("fused layers:", fuse_attention(fp32, fused))
        quantize(fused, args.model)


if __name__ == "__main__":
    main()
