# Shared by the bench scripts (sourced): a free loopback port, and a local nginx-rtmp.
# shellcheck shell=bash

# Prints a TCP port free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_nginx_rtmp DIR PORT: nginx with the RTMP module, application `live`, in the background
# (its pid in $nginx_pid, its log in DIR/nginx.log).
start_nginx_rtmp() {
  local dir="$1" port="$2"
  cat > "$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off; master_process off; error_log stderr warn; pid $PWD/$dir/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$port; application live { live on; } } }
CONF
  nginx -e stderr -c "$PWD/$dir/nginx.conf" -p "$PWD/$dir" 2> "$dir/nginx.log" &
  nginx_pid=$!
}
