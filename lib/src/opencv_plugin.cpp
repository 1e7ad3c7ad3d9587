// Finds, loads (once, on first use) and calls the OpenCV codecs plugin.
#include "opencv_plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "imgpool/error.hpp"
#include "opencv_plugin_abi.h"

#ifndef IMGPOOL_PLUGIN_INSTALL_DIR
#define IMGPOOL_PLUGIN_INSTALL_DIR "/usr/local/lib/imgpool"
#endif
#ifndef IMGPOOL_PLUGIN_RELATIVE_DIR
#define IMGPOOL_PLUGIN_RELATIVE_DIR "../lib/imgpool"
#endif

namespace imgpool::io::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::literals;

struct Plugin {
    decltype(&imgpool_plugin_decode) decode = nullptr;
    decltype(&imgpool_plugin_encode) encode = nullptr;
    std::string problem;  // why it is not loaded, after "needs imgpool_opencv_codecs.so": ", not found in ..."
};

std::string join(const std::vector<std::string>& dirs) {
    std::string s;
    for (const auto& d : dirs) s += (s.empty() ? "" : ", ") + d;
    return s;
}

Plugin load() {
    Plugin p;
    const std::vector<std::string> dirs = plugin_search_path();
    for (const auto& dir : dirs) {
        const std::string path = (fs::path(dir) / IMGPOOL_PLUGIN_FILE).string();
        if (::access(path.c_str(), R_OK) != 0) continue;
        // Never unloaded: OpenCV's codecs keep global state.
        void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* why = ::dlerror();
            p.problem = ", which does not load: "s + (why ? why : path);
            return p;
        }
        auto version =
            reinterpret_cast<decltype(&imgpool_plugin_abi_version)>(::dlsym(handle, "imgpool_plugin_abi_version"));
        p.decode = reinterpret_cast<decltype(p.decode)>(::dlsym(handle, "imgpool_plugin_decode"));
        p.encode = reinterpret_cast<decltype(p.encode)>(::dlsym(handle, "imgpool_plugin_encode"));
        if (!version || !p.decode || !p.encode || version() != IMGPOOL_PLUGIN_ABI_VERSION) {
            p = Plugin{};
            p.problem = ", but " + path + " is from another version of imgpool";
        }
        return p;
    }
    p.problem = ", not found in " + join(dirs);
    return p;
}

const Plugin& plugin() {
    static const Plugin p = load();  // thread-safe, once
    return p;
}

const Plugin& require(const char* verb, const std::string& what) {
    const Plugin& p = plugin();
    if (!p.decode) throw IoError(verb + (" " + what) + " needs " IMGPOOL_PLUGIN_FILE + p.problem);
    return p;
}

unsigned char* allocate(void* ctx, int rows, int cols, int type, std::size_t* step) {
    try {
        auto* m = static_cast<cv::Mat*>(ctx);
        m->create(rows, cols, type);
        *step = m->step;
        return m->data;
    } catch (...) {
        return nullptr;
    }
}

int take(void* ctx, const unsigned char* data, std::size_t size) {
    try {
        static_cast<std::vector<unsigned char>*>(ctx)->assign(data, data + size);
        return 1;
    } catch (...) {
        return 0;
    }
}

}  // namespace

std::vector<std::string> plugin_search_path() {
    std::vector<std::string> dirs;
    auto add = [&dirs](const fs::path& dir) {
        const std::string d = dir.lexically_normal().string();
        if (!d.empty() && std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
    };
    if (const char* env = std::getenv("IMGPOOL_PLUGIN_DIR"); env && *env) add(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir = exe.parent_path();
        add(dir);
        add(dir / "../lib/imgpool");
        add(dir / IMGPOOL_PLUGIN_RELATIVE_DIR);
    }
    add(IMGPOOL_PLUGIN_INSTALL_DIR);
    return dirs;
}

cv::Mat plugin_decode(const std::vector<unsigned char>& bytes, const std::string& what) {
    const Plugin& p = require("reading", what);
    cv::Mat out;
    char err[512] = "";
    if (p.decode(bytes.data(), bytes.size(), allocate, &out, err, sizeof err) != 0)
        throw IoError("corrupt or unsupported " + what + " data" + (*err ? ": " + std::string(err) : ""));
    return out;
}

std::vector<unsigned char> plugin_encode(const cv::Mat& rgb, const std::string& ext, const std::string& what) {
    const Plugin& p = require("writing", what);
    std::vector<unsigned char> out;
    char err[512] = "";
    if (p.encode(ext.c_str(), rgb.rows, rgb.cols, rgb.type(), rgb.data, rgb.step, take, &out, err, sizeof err) != 0)
        throw IoError(what + " encoder failed" + (*err ? ": " + std::string(err) : ""));
    return out;
}

}  // namespace imgpool::io::detail
