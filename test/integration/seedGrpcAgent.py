"""A gRPC agent as the seed's third generation writes one (agent/src/server_manager.py, command_handler.py, state.py):
its own id agent_<uuid4>, RegisterAgent, a status report on every state change, the ReceiveCommands stream held open,
pause/resume/shutdown handled, a result per command, UnregisterAgent on shutdown. Stubs are generated from the hub's
.proto files at test time; argv: port, stub dir, agent name[, amqp url, queue prefix]. With RabbitMQ it also reads its
chat as the seed's agent/src/messaging.py does: basic_get on the queue named by its id, ack, and its reply published to
broker_input_queue with no receiver_id and the original_message_id."""
import json
import sys
import threading
import time
import uuid

port, stubs, name = sys.argv[1], sys.argv[2], sys.argv[3]
amqp_url = sys.argv[4] if len(sys.argv) > 5 else None
prefix = sys.argv[5] if len(sys.argv) > 5 else ""
sys.path.insert(0, stubs)

import grpc  # noqa: E402
import agent_registration_service_pb2 as reg_pb2  # noqa: E402
import agent_registration_service_pb2_grpc as reg_grpc  # noqa: E402
import agent_status_service_pb2 as status_pb2  # noqa: E402
import agent_status_service_pb2_grpc as status_grpc  # noqa: E402

channel = grpc.insecure_channel(
    f"localhost:{port}",
    options=[("grpc.keepalive_time_ms", 45000), ("grpc.keepalive_timeout_ms", 15000), ("grpc.keepalive_permit_without_calls", 1)],
)
registration = reg_grpc.AgentRegistrationServiceStub(channel)
status = status_grpc.AgentStatusServiceStub(channel)
agent_id = f"agent_{uuid.uuid4()}"


def report(state):
    metrics = {"internal_state": state, "registration_status": "registered", "grpc_status": "connected", "last_error": "None"}
    r = status.SendAgentStatus(status_pb2.AgentStatusUpdateRequest(agent=status_pb2.AgentInfo(agent_id=agent_id, agent_name=name, metrics=metrics)))
    print(f"status {state} {r.success}", flush=True)


r = registration.RegisterAgent(reg_pb2.AgentRegistrationRequest(agent_id=agent_id, agent_name=name, version="0.0.1"))
print(f"registered {r.server_assigned_id} {r.success}", flush=True)
hb = registration.SendHeartbeat(reg_pb2.HeartbeatRequest(agent_id=agent_id, status="IDLE", metrics={"load": "0"}))
print(f"heartbeat {hb.success} {hb.interval}", flush=True)
report("idle")


def read_queue():
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    ch = conn.channel()
    queue, replies = prefix + agent_id, prefix + "broker_input_queue"
    ch.queue_declare(queue=queue, durable=True)
    ch.queue_declare(queue=replies, durable=True)
    print("queue ready", flush=True)
    while True:
        method, _props, body = ch.basic_get(queue=queue, auto_ack=False)
        if method is None:
            time.sleep(0.05)
            continue
        ch.basic_ack(method.delivery_tag)
        m = json.loads(body)
        reply = {"message_id": f"msg_{uuid.uuid4()}", "sender_id": agent_id, "message_type": m.get("message_type", "TEXT"),
                 "text_payload": f"{name} read: {m.get('text_payload')}", "original_message_id": m.get("message_id"), "routing_status": "pending"}
        ch.basic_publish(exchange="", routing_key=replies, body=json.dumps(reply), properties=pika.BasicProperties(delivery_mode=2))
        print(f"replied {m.get('message_id')}", flush=True)


if amqp_url:
    threading.Thread(target=read_queue, daemon=True).start()
print("listening", flush=True)
for command in registration.ReceiveCommands(reg_pb2.ReceiveCommandsRequest(agent_id=agent_id)):
    print(f"command {command.type} {command.command_id}", flush=True)
    registration.SendCommandResult(reg_pb2.CommandResult(command_id=command.command_id, agent_id=agent_id, success=True, output=command.type))
    if command.type == "pause":
        report("paused")
    elif command.type == "resume":
        report("idle")
    elif command.type == "shutdown":
        report("shutting_down")
        u = registration.UnregisterAgent(reg_pb2.AgentUnregistrationRequest(agent_id=agent_id))
        print(f"unregistered {u.success}", flush=True)
        break
channel.close()
