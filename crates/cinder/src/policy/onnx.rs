//! An exported [`Graph`] as an ONNX model (opset 17): input `observation` `[batch, obs_dim]`
//! (f32, raw), output `action`: `[batch]` int64 indices for discrete policies, `[batch,
//! action_dim]` f32 for box policies. The normalisation and the action's scaling and clipping
//! are nodes of the graph, so a runtime passes raw observations and gets what the environment
//! takes. A discrete policy exported `masked` takes a second input, `action_mask` (bool
//! `[batch, n]`): actions it marks false are never chosen (a row with none valid gets index 0).
//! The protobuf messages are onnx-ir's (tracel's ONNX reader, on `protobuf` 3).

use cinder_policy::{Activation, Dense, Graph, Head, PolicyError};
use onnx_ir::{
    AttributeProto, AttributeType, GraphProto, Message, ModelProto, NodeProto, TensorProto,
    TypeProto, ValueInfoProto,
};

/// The operator set the nodes are taken from.
const OPSET: i64 = 17;
/// The IR version of opset 17.
const IR_VERSION: i64 = 8;
/// ONNX's element types.
const FLOAT: i32 = 1;
const INT64: i32 = 7;
const BOOL: i32 = 9;

/// The ONNX model of `graph`, serialised; `masked` adds the `action_mask` input (discrete
/// policies only).
pub fn to_onnx(graph: &Graph, masked: bool) -> Result<Vec<u8>, PolicyError> {
    graph.validate()?;
    if masked && !matches!(graph.head, Head::Argmax { .. }) {
        return Err(PolicyError::Malformed(
            "masks are for discrete actions; this policy's are a box".into(),
        ));
    }
    let mut b = Builder::default();
    let mut x = "observation".to_string();
    if let Some(n) = &graph.normalize {
        let mean = b.constant("obs_mean", &[n.mean.len()], &n.mean);
        let std = b.constant("obs_std", &[n.std.len()], &n.std);
        let low = b.constant("obs_clip_low", &[], &[-n.clip]);
        let high = b.constant("obs_clip_high", &[], &[n.clip]);
        let centred = b.node("Sub", &[&x, &mean], vec![]);
        let scaled = b.node("Div", &[&centred, &std], vec![]);
        x = b.node("Clip", &[&scaled, &low, &high], vec![]);
    }
    let out = b.layers("layers", &x, &graph.layers);
    // The head's last node is renamed `action`.
    let (elem_type, shape) = match &graph.head {
        Head::Argmax { imitator } => {
            let never = match imitator.is_some() || masked {
                true => b.constant("never", &[], &[f32::NEG_INFINITY]),
                false => String::new(),
            };
            let mut scores = match imitator {
                None => out,
                Some(imitator) => {
                    let logits = b.layers("imitator", &x, &imitator.layers);
                    let axes = ints("axes", &[1]);
                    let max = b.node("ReduceMax", &[&logits], vec![axes, int("keepdims", 1)]);
                    let gap = b.node("Sub", &[&logits, &max], vec![]);
                    let threshold = b.constant("log_threshold", &[], &[imitator.log_threshold]);
                    let likely = b.node("GreaterOrEqual", &[&gap, &threshold], vec![]);
                    b.node("Where", &[&likely, &out, &never], vec![])
                }
            };
            if masked {
                scores = b.node("Where", &["action_mask", &scores, &never], vec![]);
            }
            b.node(
                "ArgMax",
                &[&scores],
                vec![int("axis", 1), int("keepdims", 0)],
            );
            (INT64, vec![])
        }
        Head::Box {
            squash,
            scale,
            low,
            high,
        } => {
            let mut y = out;
            if *squash {
                y = b.node("Tanh", &[&y], vec![]);
            }
            let dim = low.len();
            let lo = b.constant("action_low", &[dim], low);
            let hi = b.constant("action_high", &[dim], high);
            if *scale {
                // low + (u + 1)·½·(high − low), in ActionScale::unit_to_env's order.
                let width: Vec<f32> = low.iter().zip(high).map(|(l, h)| h - l).collect();
                let one = b.constant("one", &[], &[1.0]);
                let half = b.constant("half", &[], &[0.5]);
                let width = b.constant("action_width", &[dim], &width);
                let shifted = b.node("Add", &[&y, &one], vec![]);
                let halved = b.node("Mul", &[&shifted, &half], vec![]);
                let spread = b.node("Mul", &[&halved, &width], vec![]);
                y = b.node("Add", &[&lo, &spread], vec![]);
            }
            let above = b.node("Max", &[&y, &lo], vec![]);
            b.node("Min", &[&above, &hi], vec![]);
            (FLOAT, vec![Dim::Value(dim as i64)])
        }
    };
    if let Some(last) = b.nodes.last_mut() {
        last.output = vec!["action".into()];
    }
    let mut g = GraphProto {
        name: format!("{} {}", graph.algo, graph.env),
        node: b.nodes,
        initializer: b.initializers,
        ..Default::default()
    };
    let obs_shape = [Dim::Batch, Dim::Value(graph.observation_dim as i64)];
    g.input.push(value_info("observation", FLOAT, &obs_shape));
    if masked {
        let mask_shape = [Dim::Batch, Dim::Value(graph.action_dim() as i64)];
        g.input.push(value_info("action_mask", BOOL, &mask_shape));
    }
    let mut action_shape = vec![Dim::Batch];
    action_shape.extend(shape);
    g.output
        .push(value_info("action", elem_type, &action_shape));
    let mut model = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "cinder".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!(
            "{} policy trained on {}: raw observation in, the action the environment takes out",
            graph.algo, graph.env
        ),
        ..Default::default()
    };
    model.opset_import.push(Default::default());
    model.opset_import[0].version = OPSET;
    model.graph = Some(g).into();
    model
        .write_to_bytes()
        .map_err(|e| PolicyError::Malformed(format!("ONNX encoding: {e}")))
}

/// A dimension of a declared input or output.
enum Dim {
    /// The symbolic batch axis.
    Batch,
    /// A fixed size.
    Value(i64),
}

fn value_info(name: &str, elem_type: i32, shape: &[Dim]) -> ValueInfoProto {
    let mut t = TypeProto::default();
    let tensor = t.mut_tensor_type();
    tensor.elem_type = elem_type;
    let dims = &mut tensor.shape.mut_or_insert_default().dim;
    for d in shape {
        dims.push(Default::default());
        let dim = dims.last_mut().expect("just pushed");
        match d {
            Dim::Batch => dim.set_dim_param("batch".into()),
            Dim::Value(v) => dim.set_dim_value(*v),
        }
    }
    ValueInfoProto {
        name: name.into(),
        type_: Some(t).into(),
        ..Default::default()
    }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::INT.into(),
        i: value,
        ..Default::default()
    }
}

fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::INTS.into(),
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// Nodes and initialisers in the order they are added; every value gets a fresh name.
#[derive(Default)]
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl Builder {
    /// A constant f32 tensor of `shape`; returns its name.
    fn constant(&mut self, name: &str, shape: &[usize], values: &[f32]) -> String {
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: shape.iter().map(|&d| d as i64).collect(),
            data_type: FLOAT,
            float_data: values.to_vec(),
            ..Default::default()
        });
        name.into()
    }

    /// A node `op(inputs)` with `attributes`; returns its output's name.
    fn node(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        let output = format!("{}_{}", op.to_lowercase(), self.nodes.len());
        self.nodes.push(NodeProto {
            name: output.clone(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            attribute: attributes,
            ..Default::default()
        });
        output
    }

    /// `x` through dense `layers` (weights named `<prefix>.<i>.*`); returns the output's name.
    fn layers(&mut self, prefix: &str, x: &str, layers: &[Dense]) -> String {
        let mut x = x.to_string();
        for (i, l) in layers.iter().enumerate() {
            let w = self.constant(
                &format!("{prefix}.{i}.weight"),
                &[l.inputs, l.outputs],
                &l.weight,
            );
            let bias = self.constant(&format!("{prefix}.{i}.bias"), &[l.outputs], &l.bias);
            let product = self.node("MatMul", &[&x, &w], vec![]);
            x = self.node("Add", &[&product, &bias], vec![]);
            x = match l.activation {
                None => x,
                Some(Activation::Tanh) => self.node("Tanh", &[&x], vec![]),
                Some(Activation::Relu) => self.node("Relu", &[&x], vec![]),
            };
        }
        x
    }
}
