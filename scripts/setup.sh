# Sourced by scripts/test and scripts/demo: installs what a fresh Debian 12 machine lacks
# and builds shaderc's C++ once, for every later build to link.
#
# Environment:
#   VKCOMPOSE_CACHE   where the prebuilt shaderc library is kept (default ~/.cache/vkcompose)
#   CARGO_TARGET_DIR  honoured as usual

packages=(mesa-vulkan-drivers libvulkan1 vulkan-validationlayers cmake ninja-build g++ python3
  libpixman-1-dev   # libpixman: Smithay's PixmanRenderer, the reference of the Smithay tests
  libxkbcommon-dev) # Smithay links libxkbcommon (its seat keyboards) in every binary using it

# `dpkg -s` also succeeds for a package removed with its configuration left behind.
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "vkcompose: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's shaderc ships only a shared library that shaderc-sys would pick up and fail to
# link; the crate must build its own.
if installed libshaderc-dev; then
  echo "vkcompose: libshaderc-dev is installed; remove it (apt-get remove libshaderc-dev), shaderc-sys cannot link it" >&2
  exit 1
fi

# shaderc-sys compiles glslang and SPIRV-Tools from source (about 11 minutes on two cores)
# for each way it is used: by the codegen crate's `glsl` feature (its tests, and
# examples/effects' build script) in each profile and target directory. Build it once,
# keep the static library, and point every later build at it with SHADERC_LIB_DIR.
# (vkcompose itself needs none of it: it ships its generated shaders.)
shaderc_cache="${VKCOMPOSE_CACHE:-$HOME/.cache/vkcompose}/shaderc-0.10.1"
if [ ! -f "$shaderc_cache/libshaderc_combined.a" ]; then
  echo "vkcompose: building shaderc from source once (about 11 minutes on two cores)" >&2
  (unset SHADERC_LIB_DIR; cargo build -p vkcompose-codegen --features glsl)
  target="${CARGO_TARGET_DIR:-target}"
  built=$(ls -t "$target"/debug/build/shaderc-sys-*/out/lib/libshaderc_combined.a | head -n 1)
  mkdir -p "$shaderc_cache"
  cp "$built" "$shaderc_cache/libshaderc_combined.a.tmp"
  mv "$shaderc_cache/libshaderc_combined.a.tmp" "$shaderc_cache/libshaderc_combined.a"
fi
export SHADERC_LIB_DIR="$shaderc_cache"
