//! The ring: one SVG shape per server, and the clients in the corners,
//! over the canvas that draws the links, the messages and the timers; the
//! legend.

use super::Surfaces;
use crate::lab::term_color;
use crate::ring::{
    client_pos, client_status_text, node_pos, node_radius, shown_clients, CLIENT_RADIUS,
};
use crate::state::{Model, Msg, PartitionTool, WITH_THE_REST};
use quorum_core::protocol::{ClientId, NodeId, RaftNode, Role};
use quorum_core::sim::{ClientStatus, Lab};
use yew::prelude::*;

const GROUP_COLORS: [&str; 4] = ["#7a8694", "#d9480f", "#5f3dc4", "#0b7285"];

pub fn ring(m: &Model, surfaces: &Surfaces, send: &Callback<Msg>, lab: &Lab) -> Html {
    let sim = lab.sim();
    let n = sim.node_count();
    let tool = m.tools.partition.as_ref();
    let choice = tool.map(|t| t.nodes.as_slice());
    let on_select = send.reform(Msg::SelectNode);
    let nodes = (1..=n).filter_map(|id| {
        let node = sim.node(id)?;
        let p = node_props(lab, node, id, choice, m.selection.node == Some(id));
        Some(node_view(&p, &on_select))
    });
    let on_client = send.reform(Msg::PartitionPickClient);
    let clients = shown_clients(sim.client_count())
        .map(|c| client_view(&client_props(lab, c, tool), &on_client));
    // Links, messages and timers are drawn on a canvas under the SVG (see
    // canvas.rs), so the DOM only changes when a server's state does. A
    // click on the ring picks the nearest message: client coordinates to
    // ring units (the canvas and the SVG share one square box, 600 units
    // wide).
    let canvas = surfaces.canvas.clone();
    let onclick = super::maybe(send, move |e: MouseEvent| {
        let el = canvas.cast::<web_sys::Element>()?;
        let (x, y) = super::to_box(&el, &e, 600.0, 600.0);
        Some(Msg::RingClick(x, y))
    });
    html! {
        <div class="ring-box">
            <canvas class="ring-canvas" ref={surfaces.canvas.clone()} width="1200" height="1200" aria-hidden="true" />
            <svg class="ring" viewBox="0 0 600 600" role="group" onclick={onclick}
                aria-label="Servers on a ring, clients in the corners; messages in flight are drawn between them">
                <g class="nodes">{ for nodes }</g>
                <g class="clients">{ for clients }</g>
            </svg>
        </div>
    }
}

/// What the ring shows of one server.
fn node_props(
    lab: &Lab,
    node: &RaftNode,
    id: NodeId,
    choice: Option<&[u8]>,
    selected: bool,
) -> NodeProps {
    let sim = lab.sim();
    NodeProps {
        id,
        n: sim.node_count(),
        up: sim.is_up(id),
        role: node.role(),
        term: node.current_term(),
        voted_for: node.voted_for(),
        group: sim
            .network()
            .group_of(id)
            .filter(|_| sim.network().is_partitioned()),
        pick: choice.and_then(|c| c.get((id as usize).wrapping_sub(1)).copied()),
        violating: lab
            .violations()
            .first()
            .is_some_and(|v| v.nodes.contains(&id)),
        selected,
        member: crate::ring::membership_of(lab, id),
    }
}

/// What the ring shows of one server: plain data, so the view depends on
/// nothing else.
pub struct NodeProps {
    pub id: NodeId,
    /// Servers on the ring.
    pub n: u32,
    pub up: bool,
    pub role: Role,
    pub term: u64,
    pub voted_for: Option<NodeId>,
    /// Its side of a partition in force, if any.
    pub group: Option<u32>,
    /// Its group in the partition tool, while the tool is open.
    pub pick: Option<u8>,
    /// Involved in the first broken safety property.
    pub violating: bool,
    pub selected: bool,
    /// Its place in the configuration in force (thesis chapter 4).
    pub member: crate::ring::Member,
}

/// One server: its role's shape outlined in its term's colour, its vote,
/// its partition group.
fn node_view(p: &NodeProps, on_select: &Callback<NodeId>) -> Html {
    let (id, r, term, role, up) = (p.id, node_radius(p.n), p.term, p.role, p.up);
    let (x, y) = node_pos(id, p.n);
    let stroke = term_color(term);
    let shape = match role {
        Role::Leader => html! { <rect class="shape" x={(-r).to_string()} y={(-r).to_string()}
        width={(2.0 * r).to_string()} height={(2.0 * r).to_string()} rx={(r * 0.35).to_string()} stroke={stroke.clone()} /> },
        Role::Candidate => html! { <polygon class="shape" stroke={stroke.clone()}
        points={format!("0,{} {},0 0,{} {},0", -r * 1.15, r * 1.15, r * 1.15, -r * 1.15)} /> },
        Role::Follower => {
            html! { <circle class="shape" r={r.to_string()} stroke={stroke.clone()} /> }
        }
    };
    let group_ring = match (p.pick, p.group) {
        (Some(g), _) => Some(GROUP_COLORS[g as usize % 4]),
        (None, Some(g)) => Some(GROUP_COLORS[(g as usize + 1) % 4]),
        _ => None,
    };
    let vote = p
        .voted_for
        .map(|v| format!("voted S{v}"))
        .unwrap_or_default();
    let onclick = on_select.reform(move |e: MouseEvent| {
        e.stop_propagation();
        id
    });
    // Keyboard users open a server with Enter or Space, as a button.
    let onkeydown = super::maybe(on_select, move |e: KeyboardEvent| {
        let press = e.key() == "Enter" || e.key() == " ";
        if press {
            e.prevent_default();
        }
        press.then_some(id)
    });
    use crate::ring::Member;
    // During joint consensus C_old's servers wear a second, dashed outline.
    let old_ring = matches!(p.member, Member::Old | Member::Both);
    html! {
        <>
        <g class={classes!("node", role.as_str(), (!up).then_some("crashed"), p.selected.then_some("selected"),
                    p.group.is_some().then_some("partitioned"), p.violating.then_some("violating"), p.member.class())}
            transform={format!("translate({x:.1},{y:.1})")} onclick={onclick} onkeydown={onkeydown}
            role="button" tabindex="0" aria-label={crate::ring::node_label(id, role, term, p.voted_for, up) + &p.member.word().map(|w| format!(", {w}")).unwrap_or_default()}
            data-node={id.to_string()} data-role={role.as_str()} data-term={term.to_string()} data-up={up.to_string()}>
            if let Some(color) = group_ring {
                <circle class="group-ring" r={(r + 14.0).to_string()} stroke={color} />
            }
            if old_ring {
                <circle class="old-ring" r={(r + 7.0).to_string()} />
            }
            { shape }
        </g>
        // The texts beside the button, not in it: what they say is in the
        // server's name, in words (a button's visible text must be in its
        // name, and "S1 T0" is not a name to hear).
        <g class={classes!("node-text", (!up).then_some("crashed"))} aria-hidden="true"
            transform={format!("translate({x:.1},{y:.1})")}>
            <text class="name" y="-4">{ format!("S{id}") }</text>
            <text class="term" y="13">{ format!("T{term}") }</text>
            <text class="vote" y={(r + 24.0).to_string()}>{ vote }</text>
            if role == Role::Leader { <text class="badge" y={(-r - 6.0).to_string()}>{"★ leader"}</text> }
            if !up { <text class="cross" y="4">{"✕"}</text> }
            if let Some(what) = p.member.word() { <text class="member" y={(r + 38.0).to_string()}>{ what }</text> }
        </g>
        </>
    }
}

/// What the ring shows of one client.
pub struct ClientProps {
    pub id: ClientId,
    pub status: Option<ClientStatus>,
    /// Its side of the partition in force, if the partition names it.
    pub group: Option<u32>,
    /// Its pick in the partition tool, while the tool is open.
    pub pick: Option<u8>,
}

fn client_props(lab: &Lab, c: ClientId, tool: Option<&PartitionTool>) -> ClientProps {
    let sim = lab.sim();
    ClientProps {
        id: c,
        status: sim.client_status(c),
        group: sim.network().client_group(c),
        pick: tool.map(|t| t.client(c)),
    }
}

/// A client: a small square in a corner, filled while it waits for an
/// answer, ringed in its group's colour. In the partition tool it is a
/// button that cycles its group.
fn client_view(p: &ClientProps, on_pick: &Callback<ClientId>) -> Html {
    let (id, r) = (p.id, CLIENT_RADIUS);
    let (x, y) = client_pos(id);
    let group_ring = match (p.pick, p.group) {
        (Some(0), _) | (None, None) => None,
        (Some(WITH_THE_REST), _) => Some(GROUP_COLORS[0]),
        (Some(g), _) => Some(GROUP_COLORS[g as usize % 4]),
        (None, Some(g)) => Some(GROUP_COLORS[(g as usize + 1) % 4]),
    };
    let state = match p.status {
        Some(ClientStatus::Waiting { .. }) => "waiting",
        Some(ClientStatus::Done) => "done",
        _ => "idle",
    };
    let side = match (p.pick, p.group) {
        (Some(0), _) => ", partition tool: in no group, reaches every server".to_string(),
        (Some(WITH_THE_REST), _) => ", partition tool: with the servers in no group".to_string(),
        (Some(g), _) => format!(", partition tool: group {g}"),
        (None, Some(g)) => format!(", cut off with partition group {}", g + 1),
        (None, None) => String::new(),
    };
    let label = format!("Client C{id}, {}{side}", client_status_text(p.status));
    let picking = p.pick.is_some();
    let onclick = on_pick.reform(move |e: MouseEvent| {
        e.stop_propagation();
        id
    });
    // Keyboard users pick with Enter (Space is play / pause everywhere).
    let onkeydown = super::maybe(on_pick, move |e: KeyboardEvent| {
        (e.key() == "Enter").then_some(id)
    });
    html! {
        <g class={classes!("client", state, p.group.is_some().then_some("partitioned"), picking.then_some("picking"))}
            transform={format!("translate({x:.1},{y:.1})")}
            role={if picking { "button" } else { "img" }} tabindex={picking.then_some("0")}
            aria-label={label} data-client={id.to_string()}
            onclick={picking.then_some(onclick)} onkeydown={picking.then_some(onkeydown)}>
            if let Some(color) = group_ring {
                <rect class="group-ring" x={(-r - 7.0).to_string()} y={(-r - 7.0).to_string()}
                    width={(2.0 * r + 14.0).to_string()} height={(2.0 * r + 14.0).to_string()} rx="8" stroke={color} />
            }
            <rect class="shape" x={(-r).to_string()} y={(-r).to_string()} width={(2.0 * r).to_string()}
                height={(2.0 * r).to_string()} rx="5" />
            <text class="name" y="4" aria-hidden="true">{ format!("C{id}") }</text>
        </g>
    }
}

/// What the shapes and the dots mean.
pub fn legend() -> Html {
    let item = |class: &str, text: &str| {
        html! { <li><svg width="16" height="16" viewBox="-8 -8 16 16"><g class={classes!("msg", class.to_string())}><circle class="dot" r="5" /></g></svg>{ text.to_string() }</li> }
    };
    html! {
        <ul class="legend" aria-label="Legend">
            <li><span class="key follower"></span>{"follower"}</li>
            <li><span class="key candidate"></span>{"candidate"}</li>
            <li><span class="key leader"></span>{"leader"}</li>
            { item("m-rv", "RequestVote") }
            { item("m-pv", "PreVote") }
            { item("m-vote-yes", "vote granted") }
            { item("m-vote-no", "vote denied") }
            { item("m-hb", "heartbeat") }
            { item("m-rd", "heartbeat of a read round") }
            { item("m-tn", "TimeoutNow") }
            { item("m-ae", "AppendEntries with entries") }
            { item("m-ae-ok", "append ok") }
            { item("m-ae-fail", "append rejected") }
            { item("m-is", "InstallSnapshot chunk") }
            <li><span class="key client"></span>{"client"}</li>
            { item("m-creq", "client request") }
            { item("m-crep", "answer") }
            { item("m-crep-no", "\"not leader\"") }
        </ul>
    }
}
