{
  "targets": [
    {
      "target_name": "mptcp_socket",
      "sources": ["native/mptcp_socket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
