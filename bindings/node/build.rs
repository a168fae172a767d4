//! Sets up linking of the Node-API addon (symbols resolved by Node at load time).

fn main() {
    napi_build::setup();
}
