// pool() against PyTorch 1.13: fixtures written by tests/fixtures/make_torch_fixtures.py
// (committed output; no Python needed here). Each case names the torch call it came from.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <sstream>
#include <string>

#include "imgpool/npy.hpp"
#include "imgpool/pool.hpp"
#include "support.hpp"

namespace {

using nlohmann::json;

const json& manifest() {
    static const json m = json::parse(test::read_text(test::fixture("torch/manifest.json")));
    return m;
}

cv::Mat load(const json& c, const char* key) {
    return imgpool::npy::decode(test::read_bytes(test::fixture("torch/" + c.at(key).get<std::string>())));
}

// [w, h] in the manifest, like Extent.
imgpool::Extent extent(const json& c, const char* key, imgpool::Extent fallback) {
    if (!c.contains(key)) return fallback;
    return {c.at(key).at(0).get<int>(), c.at(key).at(1).get<int>()};
}

template <class Enum>
Enum lookup(const json& c, const char* key, const std::map<std::string, Enum>& names, Enum fallback) {
    if (!c.contains(key)) return fallback;
    auto it = names.find(c.at(key).get<std::string>());
    if (it == names.end()) throw std::runtime_error("unknown " + std::string(key) + " in manifest");
    return it->second;
}

// Fields absent from a case keep PoolParams' defaults (e.g. no window for adaptive scope).
imgpool::PoolParams params_of(const json& c) {
    using imgpool::Border;
    using imgpool::PoolType;
    using imgpool::Scope;
    imgpool::PoolParams p;
    p.type = lookup<PoolType>(c, "type",
                              {{"max", PoolType::max}, {"min", PoolType::min}, {"avg", PoolType::avg},
                               {"lp", PoolType::lp}},
                              p.type);
    p.scope = lookup<Scope>(c, "scope",
                            {{"window", Scope::window}, {"global", Scope::global}, {"adaptive", Scope::adaptive}},
                            p.scope);
    p.border = lookup<Border>(c, "border",
                              {{"ignore", Border::ignore}, {"zero", Border::zero},
                               {"replicate", Border::replicate}, {"reflect", Border::reflect}},
                              p.border);
    p.window = extent(c, "window", p.window);
    p.stride = extent(c, "stride", p.stride);
    p.dilation = extent(c, "dilation", p.dilation);
    p.output_size = extent(c, "output_size", p.output_size);
    if (c.contains("padding")) {
        const json& pad = c.at("padding");
        p.padding = pad.at("same").get<bool>()
                        ? imgpool::Padding::tf_same()
                        : imgpool::Padding::explicit_(pad.at("left").get<int>(), pad.at("top").get<int>(),
                                                      pad.at("right").get<int>(), pad.at("bottom").get<int>());
    }
    p.ceil_mode = c.value("ceil_mode", p.ceil_mode);
    p.count_pad = c.value("count_pad", p.count_pad);
    p.power = c.value("power", p.power);
    return p;
}

std::string shape(const cv::Mat& m) {
    std::ostringstream s;
    s << m.rows << "x" << m.cols << "x" << m.channels() << " depth " << m.depth();
    return s.str();
}

// Runs every case of `family`; returns how many there were. One CHECK per case, whose
// message names the case, its torch call and what differed.
int check_family(const std::string& family) {
    int n = 0;
    for (const json& c : manifest().at("cases")) {
        if (c.at("family").get<std::string>() != family) continue;
        ++n;
        const std::string id = c.at("id").get<std::string>();
        const std::string torch_call = c.at("torch").get<std::string>();
        INFO("case " << id << ": " << torch_call);
        const cv::Mat in = load(c, "input");
        const cv::Mat want = load(c, "expected");
        const imgpool::PoolParams p = params_of(c);
        cv::Mat got;
        try {
            got = imgpool::pool(in, p);
        } catch (const std::exception& e) {
            FAIL_CHECK("pool() threw: " << e.what());
            continue;
        }
        const bool shape_ok = got.rows == want.rows && got.cols == want.cols && got.channels() == want.channels();
        CHECK_MESSAGE(shape_ok, "shape: expected " << shape(want) << ", got " << shape(got));
        if (!shape_ok) continue;
        const std::string type = c.at("type").get<std::string>();
        if (type == "max" || type == "min") {
            // A selection of input values: bit-exact, same depth, NaN where torch has NaN.
            CHECK_MESSAGE(test::same(got, want), "values differ (max rel diff "
                                                     << test::max_rel_diff(got, want) << "), expected "
                                                     << shape(want) << ", got " << shape(got));
        } else {
            const double diff = test::max_rel_diff(got, want);
            CHECK_MESSAGE(diff <= 1e-5, "max rel diff " << diff);
        }
    }
    return n;
}

}  // namespace

TEST_CASE("PyTorch fixtures: the manifest is complete") {
    const json& m = manifest();
    // An empty or truncated manifest must not pass silently.
    CHECK(m.at("cases").size() >= 500);
    CHECK(m.at("rejected").size() >= 5);
    const std::map<std::string, int> minimum{{"max", 100}, {"avg", 80},     {"adaptive", 50}, {"global", 15},
                                             {"tf_same", 50}, {"border", 90}, {"lp", 40},     {"nonfinite", 20}};
    std::map<std::string, int> seen;
    for (const json& c : m.at("cases")) ++seen[c.at("family").get<std::string>()];
    for (const auto& [family, count] : minimum) {
        INFO("family " << family);
        CHECK(seen[family] >= count);
    }
}

TEST_CASE("PyTorch fixtures: max_pool2d (padding ignored, dilation, ceil_mode)") {
    CHECK(check_family("max") >= 100);
}

TEST_CASE("PyTorch fixtures: avg_pool2d (count_include_pad, ceil_mode)") {
    CHECK(check_family("avg") >= 80);
}

TEST_CASE("PyTorch fixtures: adaptive pooling to smaller, equal and larger sizes") {
    CHECK(check_family("adaptive") >= 50);
}

TEST_CASE("PyTorch fixtures: global pooling") {
    CHECK(check_family("global") >= 15);
}

TEST_CASE("PyTorch fixtures: TF SAME padding via explicit torch padding") {
    CHECK(check_family("tf_same") >= 50);
}

TEST_CASE("PyTorch fixtures: replicate, reflect and zero borders via F.pad") {
    CHECK(check_family("border") >= 90);
}

TEST_CASE("PyTorch fixtures: lp_pool2d") {
    CHECK(check_family("lp") >= 40);
}

TEST_CASE("PyTorch fixtures: NaN and infinities in the input") {
    CHECK(check_family("nonfinite") >= 20);
}

TEST_CASE("PyTorch fixtures: windows wholly in the padding are rejected") {
    // torch returns -inf for these; imgpool refuses the parameters instead, and
    // pooled_size() and validate() promise to validate like pool().
    for (const json& c : manifest().at("rejected")) {
        INFO("case " << c.at("id").get<std::string>() << ": " << c.at("torch").get<std::string>());
        const cv::Mat in = load(c, "input");
        const imgpool::PoolParams p = params_of(c);
        CHECK_THROWS_AS(imgpool::pool(in, p), imgpool::Error);
        CHECK_THROWS_AS(imgpool::pooled_size(in.size(), p), imgpool::Error);
        CHECK_THROWS_AS(imgpool::validate(p, in.size()), imgpool::Error);
    }
}
