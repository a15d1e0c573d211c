# scripts/lib.sh: shared by the entry points. Sourced, not run.
FXR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FXR_BUILD=${FXR_BUILD:-$FXR_ROOT/build}
FXR_BUILD_SAN=${FXR_BUILD_SAN:-$FXR_ROOT/build-san}

fxr_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# fxr_build: the main build (gcc, warnings as errors).
fxr_build() {
	if [ ! -f "$FXR_BUILD/build.ninja" ]; then
		meson setup "$FXR_BUILD" "$FXR_ROOT" -Dwerror=true >/dev/null ||
			fxr_die "meson setup failed in $FXR_BUILD"
	fi
	ninja -C "$FXR_BUILD" >/dev/null || { ninja -C "$FXR_BUILD"; fxr_die "build failed"; }
}

# fxr_build_san: clang with AddressSanitizer and UBSan, and the libFuzzer targets.
fxr_build_san() {
	local secs=${1:-60}
	if [ ! -f "$FXR_BUILD_SAN/build.ninja" ]; then
		CC=clang CXX=clang++ meson setup "$FXR_BUILD_SAN" "$FXR_ROOT" -Dwerror=true \
			-Dfuzz=true -Dbench=disabled -Db_sanitize=address,undefined \
			-Db_lundef=false -Dfuzz_seconds="$secs" >/dev/null ||
			fxr_die "meson setup failed in $FXR_BUILD_SAN"
	else
		meson configure "$FXR_BUILD_SAN" -Dfuzz_seconds="$secs" >/dev/null
	fi
	ninja -C "$FXR_BUILD_SAN" >/dev/null || { ninja -C "$FXR_BUILD_SAN"; fxr_die "sanitizer build failed"; }
}
