#include <signet/crypto/p11.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <p11-kit/pkcs11.h>

#include <signet/base/hex.h>
#include <signet/base/regular_file.h>
#include <signet/crypto/dnssec.h>

namespace signet::crypto::p11 {

namespace {

std::string rv_to_text(CK_RV rv)
{
    switch (rv) {
    case CKR_OK: return "CKR_OK";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
    case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
    case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_DATA_LEN_RANGE: return "CKR_DATA_LEN_RANGE";
    case CKR_KEY_SIZE_RANGE: return "CKR_KEY_SIZE_RANGE";
    case CKR_DOMAIN_PARAMS_INVALID: return "CKR_DOMAIN_PARAMS_INVALID";
    default: return fmt::format("CKR 0x{:x}", rv);
    }
}

Error p11_error(std::string_view what, CK_RV rv)
{
    return Error(ErrorCode::Pkcs11, fmt::format("{}: {}", what, rv_to_text(rv)));
}

// The CKA_ID a key locator names: its hex, 1 to 64 octets.
Result<std::string> locator_id(std::string_view locator)
{
    auto not_a_locator = [&] {
        return fail(ErrorCode::NotFound, fmt::format("'{}' is not a key locator (hex CKA_ID)", locator));
    };
    if (locator.empty() || locator.size() > 128)
        return not_a_locator();
    auto id = from_hex(locator);
    if (!id)
        return not_a_locator();
    return std::move(*id);
}

std::string padded_label(std::string_view label)
{
    std::string out(label.substr(0, 32));
    out.resize(32, ' ');
    return out;
}

std::string trimmed_label(const CK_UTF8CHAR* label, size_t size)
{
    std::string out(reinterpret_cast<const char*>(label), size);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\0'))
        out.pop_back();
    return out;
}

using namespace std::string_view_literals;

// DER encodings of the curve OIDs (CKA_EC_PARAMS); "sv" keeps the 0x00 octets.
constexpr std::string_view oid_p256 = "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07"sv;
constexpr std::string_view oid_p384 = "\x06\x05\x2b\x81\x04\x00\x22"sv;
constexpr std::string_view oid_ed25519 = "\x06\x03\x2b\x65\x70"sv;
constexpr std::string_view oid_ed448 = "\x06\x03\x2b\x65\x71"sv;

struct Mechanisms {
    CK_MECHANISM_TYPE generate;
    CK_MECHANISM_TYPE sign;
    std::string_view ec_params; // empty for RSA
    const EVP_MD* prehash; // digest we compute for CKM_ECDSA, else nullptr
};

Mechanisms mechanisms_for(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::RSASHA256: return { CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_SHA256_RSA_PKCS, {}, nullptr };
    case Algorithm::RSASHA512: return { CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_SHA512_RSA_PKCS, {}, nullptr };
    case Algorithm::ECDSAP256SHA256: return { CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, oid_p256, EVP_sha256() };
    case Algorithm::ECDSAP384SHA384: return { CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, oid_p384, EVP_sha384() };
    case Algorithm::ED25519: return { CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, oid_ed25519, nullptr };
    case Algorithm::ED448: return { CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, oid_ed448, nullptr };
    }
    return {};
}

// The size of the raw public point or key for EC algorithms.
size_t raw_point_size(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::ECDSAP256SHA256: return 65;
    case Algorithm::ECDSAP384SHA384: return 97;
    case Algorithm::ED25519: return 32;
    case Algorithm::ED448: return 57;
    default: return 0;
    }
}

// CKA_EC_POINT is a DER OCTET STRING (PKCS#11 2.40); some modules give the
// raw point. Returns the raw point or key.
std::optional<std::string> unwrap_ec_point(std::string_view value, size_t raw_size)
{
    // A raw uncompressed point starts with 0x04 as a DER OCTET STRING does;
    // the size tells them apart.
    if (value.size() == raw_size)
        return std::string(value);
    if (value.size() < 2 || value[0] != 0x04)
        return std::nullopt;
    size_t length = static_cast<uint8_t>(value[1]);
    size_t offset = 2;
    if (length & 0x80) {
        size_t octets = length & 0x7f;
        if (octets == 0 || octets > 2 || value.size() < 2 + octets)
            return std::nullopt;
        length = 0;
        for (size_t i = 0; i < octets; ++i)
            length = (length << 8) | static_cast<uint8_t>(value[2 + i]);
        offset = 2 + octets;
    }
    if (offset + length != value.size() || length != raw_size)
        return std::nullopt;
    return std::string(value.substr(offset));
}

} // namespace

// A loaded module. One per path and process: PKCS#11 allows one
// C_Initialize per process, so every KeyStore on the same module shares it.
class Module {
public:
    static Result<std::shared_ptr<Module>> load(const TokenConfig& config)
    {
        static std::mutex mutex;
        static std::map<std::filesystem::path, std::weak_ptr<Module>> loaded;
        std::lock_guard lock(mutex);
        if (auto existing = loaded[config.module].lock())
            return existing;
        for (const auto& [name, value] : config.environment)
            setenv(name.c_str(), value.c_str(), 1);
        if (!std::filesystem::exists(config.module))
            return fail(ErrorCode::Pkcs11, fmt::format("PKCS#11 module '{}' does not exist", config.module.string()));
        void* handle = dlopen(config.module.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            return fail(ErrorCode::Pkcs11,
                        fmt::format("cannot load PKCS#11 module '{}': {}", config.module.string(), dlerror()));
        auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
        CK_FUNCTION_LIST_PTR functions = nullptr;
        if (!get_list || get_list(&functions) != CKR_OK || !functions) {
            dlclose(handle);
            return fail(ErrorCode::Pkcs11,
                        fmt::format("'{}' is not a PKCS#11 module (no C_GetFunctionList)", config.module.string()));
        }
        CK_C_INITIALIZE_ARGS args {};
        args.flags = CKF_OS_LOCKING_OK;
        CK_RV rv = functions->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
            dlclose(handle);
            return std::unexpected(p11_error(fmt::format("C_Initialize of '{}'", config.module.string()), rv));
        }
        auto module = std::shared_ptr<Module>(new Module(config.module, functions));
        loaded[config.module] = module;
        return module;
    }

    // The library stays mapped after C_Finalize: modules may keep atexit
    // handlers or thread-local state past it, and keeping it makes leak
    // reports inside a module name the module.
    ~Module() { f->C_Finalize(nullptr); }

    // Slots whose token carries `label` (initialised tokens only).
    Result<std::optional<CK_SLOT_ID>> find_token(std::string_view label, std::vector<std::string>* seen = nullptr)
    {
        CK_ULONG count = 0;
        CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_GetSlotList", rv));
        std::vector<CK_SLOT_ID> slots(count);
        rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_GetSlotList", rv));
        slots.resize(count);
        for (CK_SLOT_ID slot : slots) {
            CK_TOKEN_INFO info;
            if (f->C_GetTokenInfo(slot, &info) != CKR_OK || !(info.flags & CKF_TOKEN_INITIALIZED))
                continue;
            std::string name = trimmed_label(info.label, sizeof info.label);
            if (name == label)
                return slot;
            if (seen)
                seen->push_back(name);
        }
        return std::optional<CK_SLOT_ID>();
    }

    const std::filesystem::path& path() const { return path_; }
    CK_FUNCTION_LIST_PTR f;

private:
    Module(std::filesystem::path path, CK_FUNCTION_LIST_PTR functions)
        : f(functions)
        , path_(std::move(path))
    {
    }
    std::filesystem::path path_;
};

Result<std::string> read_pin(const std::filesystem::path& pin_file, std::string_view env_name)
{
    if (!env_name.empty()) {
        if (const char* value = std::getenv(std::string(env_name).c_str()); value && *value)
            return std::string(value);
    }
    // The PIN never appears in a message, so neither does what the file holds.
    auto file = open_regular_file(pin_file);
    if (!file)
        return fail(ErrorCode::Config,
                    fmt::format("{}: cannot read the PIN file: {}", pin_file.string(), file.error().message()));
    if (file->mode & 077)
        return fail(ErrorCode::Config,
                    fmt::format("{}: the PIN file may be read by others (mode {:o}); make it 0600", pin_file.string(),
                                file->mode & 0777));
    auto content = read_capped(*file, 4096); // a PIN is short
    if (!content)
        return fail(ErrorCode::Config,
                    fmt::format("{}: cannot read the PIN file: {}", pin_file.string(), content.error().message()));
    std::string pin = std::move(*content);
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r'))
        pin.pop_back();
    if (pin.empty())
        return fail(ErrorCode::Config, fmt::format("{}: the PIN file is empty", pin_file.string()));
    return pin;
}

Result<void> init_token(const TokenConfig& config, std::string_view so_pin, std::string_view user_pin)
{
    auto module = SIGNET_TRY(Module::load(config));
    auto* f = module->f;
    if (SIGNET_TRY(module->find_token(config.token)))
        return fail(ErrorCode::Conflict, fmt::format("a token labelled '{}' already exists", config.token));
    CK_ULONG count = 0;
    CK_RV rv = f->C_GetSlotList(CK_FALSE, nullptr, &count);
    std::vector<CK_SLOT_ID> slots(count);
    if (rv == CKR_OK)
        rv = f->C_GetSlotList(CK_FALSE, slots.data(), &count);
    if (rv != CKR_OK)
        return std::unexpected(p11_error("C_GetSlotList", rv));
    slots.resize(count);
    std::optional<CK_SLOT_ID> free_slot;
    for (CK_SLOT_ID slot : slots) {
        CK_TOKEN_INFO info;
        if (f->C_GetTokenInfo(slot, &info) == CKR_OK && !(info.flags & CKF_TOKEN_INITIALIZED)) {
            free_slot = slot;
            break;
        }
    }
    if (!free_slot)
        return fail(ErrorCode::Pkcs11, fmt::format("module '{}' has no free slot for a new token", config.module.string()));
    std::string label = padded_label(config.token);
    std::string so(so_pin), user(user_pin);
    rv = f->C_InitToken(*free_slot, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size(),
                        reinterpret_cast<CK_UTF8CHAR_PTR>(label.data()));
    if (rv != CKR_OK)
        return std::unexpected(p11_error(fmt::format("initialising token '{}'", config.token), rv));
    // Some modules (SoftHSM2) move the new token to another slot.
    auto slot = SIGNET_TRY(module->find_token(config.token));
    if (!slot)
        return fail(ErrorCode::Pkcs11, fmt::format("token '{}' is not visible after initialising it", config.token));
    CK_SESSION_HANDLE session;
    rv = f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
    if (rv != CKR_OK)
        return std::unexpected(p11_error("C_OpenSession", rv));
    rv = f->C_Login(session, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size());
    if (rv == CKR_OK) {
        rv = f->C_InitPIN(session, reinterpret_cast<CK_UTF8CHAR_PTR>(user.data()), user.size());
        f->C_Logout(session);
    }
    f->C_CloseSession(session);
    if (rv != CKR_OK)
        return std::unexpected(p11_error(fmt::format("setting the user PIN of token '{}'", config.token), rv));
    return {};
}

struct KeyStore::State {
    std::shared_ptr<Module> module;
    CK_SLOT_ID slot = 0;
    std::string label;
    std::set<CK_MECHANISM_TYPE> mechanisms;

    mutable std::mutex mutex;
    std::vector<CK_SESSION_HANDLE> idle; // sessions not lent out
    size_t open_sessions = 0;
    // Handles found so far, by locator. Token object handles stay valid in
    // every session of this process until the object is destroyed.
    struct Handles {
        CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
        CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
    };
    std::unordered_map<std::string, Handles> known;
    // Searches for one key before the whole token is indexed instead.
    static constexpr size_t searches_before_index = 4;
    size_t searches = 0;
    bool indexed = false;
    std::mutex index_mutex; // one thread indexes; taken before `mutex`

    CK_FUNCTION_LIST_PTR f() const { return module->f; }

    ~State()
    {
        for (CK_SESSION_HANDLE session : idle)
            f()->C_CloseSession(session);
    }

    Result<CK_SESSION_HANDLE> open_session()
    {
        CK_SESSION_HANDLE session;
        CK_RV rv = f()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
        if (rv != CKR_OK)
            return std::unexpected(p11_error(fmt::format("opening a session on token '{}'", label), rv));
        return session;
    }

    // A session lent to one thread, returned to the pool when it goes out
    // of scope.
    struct Lease {
        State* state;
        CK_SESSION_HANDLE session;
        Lease(State* s, CK_SESSION_HANDLE h)
            : state(s)
            , session(h)
        {
        }
        Lease(const Lease&) = delete;
        ~Lease()
        {
            std::lock_guard lock(state->mutex);
            state->idle.push_back(session);
        }
    };

    Result<std::unique_ptr<Lease>> lease()
    {
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                CK_SESSION_HANDLE session = idle.back();
                idle.pop_back();
                return std::make_unique<Lease>(this, session);
            }
        }
        CK_SESSION_HANDLE session = SIGNET_TRY(open_session());
        std::lock_guard lock(mutex);
        ++open_sessions;
        return std::make_unique<Lease>(this, session);
    }

    // Objects of `object_class` with CKA_ID `id` (all of them when empty).
    Result<std::vector<CK_OBJECT_HANDLE>> find(CK_SESSION_HANDLE session, CK_OBJECT_CLASS object_class,
                                               std::string_view id)
    {
        std::string id_copy(id);
        CK_ATTRIBUTE search[] = {
            { CKA_CLASS, &object_class, sizeof object_class },
            { CKA_ID, id_copy.data(), id_copy.size() },
        };
        CK_RV rv = f()->C_FindObjectsInit(session, search, id.empty() ? 1 : 2);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_FindObjectsInit", rv));
        std::vector<CK_OBJECT_HANDLE> out;
        CK_OBJECT_HANDLE batch[64];
        CK_ULONG found = 0;
        while ((rv = f()->C_FindObjects(session, batch, 64, &found)) == CKR_OK && found > 0)
            out.insert(out.end(), batch, batch + found);
        f()->C_FindObjectsFinal(session);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_FindObjects", rv));
        return out;
    }

    Result<std::string> attribute(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type)
    {
        CK_ATTRIBUTE query { type, nullptr, 0 };
        CK_RV rv = f()->C_GetAttributeValue(session, object, &query, 1);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_GetAttributeValue", rv));
        std::string value(query.ulValueLen, '\0');
        query.pValue = value.data();
        rv = f()->C_GetAttributeValue(session, object, &query, 1);
        if (rv != CKR_OK)
            return std::unexpected(p11_error("C_GetAttributeValue", rv));
        value.resize(query.ulValueLen);
        return value;
    }

    Error not_found(std::string_view locator) const
    {
        return Error(ErrorCode::NotFound, fmt::format("key {} not found in token '{}'", locator, label));
    }

    static CK_OBJECT_HANDLE& slot_of(Handles& handles, CK_OBJECT_CLASS object_class)
    {
        return object_class == CKO_PRIVATE_KEY ? handles.private_key : handles.public_key;
    }

    std::optional<CK_OBJECT_HANDLE> remembered(const std::string& locator, CK_OBJECT_CLASS object_class)
    {
        std::lock_guard lock(mutex);
        auto it = known.find(locator);
        if (it == known.end() || slot_of(it->second, object_class) == CK_INVALID_HANDLE)
            return std::nullopt;
        return slot_of(it->second, object_class);
    }

    void remember(const std::string& locator, CK_OBJECT_CLASS object_class, CK_OBJECT_HANDLE handle)
    {
        std::lock_guard lock(mutex);
        slot_of(known[locator], object_class) = handle;
    }

    void forget(const std::string& locator)
    {
        std::lock_guard lock(mutex);
        known.erase(locator);
    }

    // Reads the CKA_ID of every key in the token once: two searches and one
    // attribute read per key, instead of one search of the token per key.
    Result<void> index(CK_SESSION_HANDLE session)
    {
        std::unordered_map<std::string, Handles> found;
        for (CK_OBJECT_CLASS object_class : { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY }) {
            for (CK_OBJECT_HANDLE handle : SIGNET_TRY(find(session, object_class, {}))) {
                auto id = attribute(session, handle, CKA_ID);
                if (!id || id->empty())
                    continue; // not one of ours: keys we make all carry a readable CKA_ID
                CK_OBJECT_HANDLE& slot = slot_of(found[to_hex(*id)], object_class);
                if (slot == CK_INVALID_HANDLE)
                    slot = handle;
            }
        }
        std::lock_guard lock(mutex);
        for (auto& [locator, handles] : found) {
            Handles& have = known[locator];
            if (have.private_key == CK_INVALID_HANDLE)
                have.private_key = handles.private_key;
            if (have.public_key == CK_INVALID_HANDLE)
                have.public_key = handles.public_key;
        }
        return {};
    }

    // The handle of the private or public half of the key `locator`.
    Result<CK_OBJECT_HANDLE> lookup(CK_SESSION_HANDLE session, std::string_view locator, CK_OBJECT_CLASS object_class)
    {
        std::string key(locator);
        if (auto handle = remembered(key, object_class))
            return *handle;
        std::string id = SIGNET_TRY(locator_id(locator));
        {
            // Other threads wait here while one indexes, then look again.
            std::lock_guard index_lock(index_mutex);
            bool index_now;
            {
                std::lock_guard lock(mutex);
                index_now = !indexed && ++searches > searches_before_index;
                indexed = indexed || index_now; // tried once, whatever comes of it
            }
            // A module that cannot list its keys is still searched key by key.
            if (index_now)
                (void)index(session);
        }
        if (auto handle = remembered(key, object_class))
            return *handle;
        // Not indexed yet, or made by another process since.
        auto handles = SIGNET_TRY(find(session, object_class, id));
        if (handles.empty())
            return std::unexpected(not_found(locator));
        remember(key, object_class, handles.front());
        return handles.front();
    }

    // The public key `handle` in DNSKEY wire form (RFC 3110, RFC 6605, RFC 8080).
    Result<Bytes> public_key(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE handle, std::string_view locator,
                             Algorithm algorithm)
    {
        if (is_rsa(algorithm)) {
            std::string modulus = SIGNET_TRY(attribute(session, handle, CKA_MODULUS));
            std::string exponent = SIGNET_TRY(attribute(session, handle, CKA_PUBLIC_EXPONENT));
            while (exponent.size() > 1 && exponent.front() == '\0')
                exponent.erase(0, 1);
            Bytes out;
            if (exponent.size() < 256) {
                out.push_back(static_cast<char>(exponent.size()));
            } else {
                out.push_back('\0');
                out.push_back(static_cast<char>(exponent.size() >> 8));
                out.push_back(static_cast<char>(exponent.size() & 0xff));
            }
            return out + exponent + modulus;
        }
        std::string point = SIGNET_TRY(attribute(session, handle, CKA_EC_POINT));
        auto raw = unwrap_ec_point(point, raw_point_size(algorithm));
        if (!raw)
            return fail(ErrorCode::Pkcs11,
                        fmt::format("key {} in token '{}' is not a {} key", locator, label, algorithm_to_text(algorithm)));
        if (algorithm == Algorithm::ECDSAP256SHA256 || algorithm == Algorithm::ECDSAP384SHA384)
            return raw->substr(1); // drop the 0x04 "uncompressed" prefix
        return *raw;
    }

    Result<void> check_mechanism(Algorithm algorithm) const
    {
        Mechanisms m = mechanisms_for(algorithm);
        if (!mechanisms.contains(m.generate) || !mechanisms.contains(m.sign))
            return fail(ErrorCode::Pkcs11,
                        fmt::format("token '{}' ({}) does not support {}: mechanism 0x{:x} or 0x{:x} is missing", label,
                                    module->path().string(), algorithm_to_text(algorithm), m.generate, m.sign));
        return {};
    }
};

KeyStore::KeyStore(std::unique_ptr<State> state)
    : state_(std::move(state))
{
}

KeyStore::~KeyStore() = default;

Result<std::unique_ptr<KeyStore>> KeyStore::open(const TokenConfig& config, std::string_view pin)
{
    auto state = std::make_unique<State>();
    state->module = SIGNET_TRY(Module::load(config));
    state->label = config.token;
    std::vector<std::string> seen;
    auto slot = SIGNET_TRY(state->module->find_token(config.token, &seen));
    if (!slot) {
        std::string present;
        for (const auto& name : seen)
            present += (present.empty() ? "" : ", ") + fmt::format("'{}'", name);
        return fail(ErrorCode::Pkcs11, fmt::format("no token labelled '{}' in module '{}' (tokens present: {})",
                                                   config.token, config.module.string(),
                                                   present.empty() ? "none" : present));
    }
    state->slot = *slot;
    CK_ULONG count = 0;
    auto* f = state->f();
    if (f->C_GetMechanismList(*slot, nullptr, &count) == CKR_OK) {
        std::vector<CK_MECHANISM_TYPE> list(count);
        if (f->C_GetMechanismList(*slot, list.data(), &count) == CKR_OK)
            state->mechanisms.insert(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(count));
    }
    CK_SESSION_HANDLE session = SIGNET_TRY(state->open_session());
    state->idle.push_back(session);
    state->open_sessions = 1;
    std::string pin_copy(pin);
    CK_RV rv = f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin_copy.data()), pin_copy.size());
    std::fill(pin_copy.begin(), pin_copy.end(), '\0');
    if (rv == CKR_PIN_INCORRECT)
        return fail(ErrorCode::Pkcs11, fmt::format("the PIN for token '{}' is wrong (CKR_PIN_INCORRECT)", config.token));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
        return std::unexpected(p11_error(fmt::format("logging in to token '{}'", config.token), rv));
    return std::unique_ptr<KeyStore>(new KeyStore(std::move(state)));
}

Result<void> KeyStore::probe(const TokenConfig& config)
{
    auto module = SIGNET_TRY(Module::load(config));
    std::vector<std::string> seen;
    auto slot = SIGNET_TRY(module->find_token(config.token, &seen));
    if (!slot)
        return fail(ErrorCode::Pkcs11, fmt::format("no token labelled '{}' in module '{}' ({} other token{} present)",
                                                   config.token, config.module.string(), seen.size(),
                                                   seen.size() == 1 ? "" : "s"));
    return {};
}

const std::string& KeyStore::token_label() const { return state_->label; }

bool KeyStore::supports(Algorithm algorithm) const { return state_->check_mechanism(algorithm).has_value(); }

size_t KeyStore::session_count() const
{
    std::lock_guard lock(state_->mutex);
    return state_->open_sessions;
}

Result<std::string> KeyStore::new_locator()
{
    unsigned char id[20];
    if (RAND_bytes(id, sizeof id) != 1)
        return std::unexpected(ossl::error("no random CKA_ID"));
    return to_hex(std::string_view(reinterpret_cast<char*>(id), sizeof id));
}

Result<KeyStore::Generated> KeyStore::generate(Algorithm algorithm, unsigned bits, std::string_view label,
                                               std::string_view locator_wanted)
{
    SIGNET_TRY(state_->check_mechanism(algorithm));
    if (is_rsa(algorithm) && (bits < 2048 || bits > 4096))
        return fail(ErrorCode::Policy, fmt::format("RSA keys must have 2048 to 4096 bits, not {}", bits));
    Mechanisms m = mechanisms_for(algorithm);
    unsigned char id[20];
    if (!locator_wanted.empty()) {
        std::string wanted = SIGNET_TRY(locator_id(locator_wanted));
        if (wanted.size() != sizeof id)
            return fail(ErrorCode::Internal, fmt::format("a key locator is {} hex digits, not '{}'", 2 * sizeof id,
                                                         locator_wanted));
        std::memcpy(id, wanted.data(), sizeof id);
    } else if (RAND_bytes(id, sizeof id) != 1) {
        return std::unexpected(ossl::error("no random CKA_ID"));
    }
    std::string label_copy(label);
    std::string params(m.ec_params);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG modulus_bits = bits;
    unsigned char exponent[] = { 0x01, 0x00, 0x01 };
    std::vector<CK_ATTRIBUTE> pub {
        { CKA_TOKEN, &yes, sizeof yes },   { CKA_PRIVATE, &no, sizeof no },
        { CKA_VERIFY, &yes, sizeof yes },  { CKA_ID, id, sizeof id },
        { CKA_LABEL, label_copy.data(), label_copy.size() },
    };
    if (is_rsa(algorithm)) {
        pub.push_back({ CKA_MODULUS_BITS, &modulus_bits, sizeof modulus_bits });
        pub.push_back({ CKA_PUBLIC_EXPONENT, exponent, sizeof exponent });
    } else {
        pub.push_back({ CKA_EC_PARAMS, params.data(), params.size() });
    }
    CK_ATTRIBUTE priv[] = {
        { CKA_TOKEN, &yes, sizeof yes },       { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },   { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },        { CKA_ID, id, sizeof id },
        { CKA_LABEL, label_copy.data(), label_copy.size() },
    };
    CK_MECHANISM mechanism { m.generate, nullptr, 0 };
    auto lease = SIGNET_TRY(state_->lease());
    CK_OBJECT_HANDLE pub_handle, priv_handle;
    CK_RV rv = state_->f()->C_GenerateKeyPair(lease->session, &mechanism, pub.data(), pub.size(), priv,
                                              std::size(priv), &pub_handle, &priv_handle);
    if (rv != CKR_OK)
        return std::unexpected(p11_error(
            fmt::format("generating a {} key in token '{}'", algorithm_to_text(algorithm), state_->label), rv));
    std::string locator = to_hex(std::string_view(reinterpret_cast<char*>(id), sizeof id));
    state_->remember(locator, CKO_PRIVATE_KEY, priv_handle);
    state_->remember(locator, CKO_PUBLIC_KEY, pub_handle);
    auto public_key = state_->public_key(lease->session, pub_handle, locator, algorithm);
    if (!public_key) {
        state_->forget(locator);
        state_->f()->C_DestroyObject(lease->session, priv_handle);
        state_->f()->C_DestroyObject(lease->session, pub_handle);
        return std::unexpected(public_key.error());
    }
    return Generated { std::move(locator), std::move(*public_key) };
}

PrivateKeyParts::~PrivateKeyParts()
{
    for (Bytes* part : { &modulus, &public_exponent, &private_exponent, &prime1, &prime2, &exponent1, &exponent2,
                         &coefficient, &private_value })
        OPENSSL_cleanse(part->data(), part->size());
}

namespace {

// A DER OCTET STRING around `value` (shorter than 128 octets), as
// CKA_EC_POINT holds a point.
std::string der_octet_string(std::string_view value) { return std::string { '\x04', static_cast<char>(value.size()) } + std::string(value); }

// `value` with leading zero octets added up to `size` (an integer written
// in fewer octets than its field has).
std::string left_padded(std::string_view value, size_t size)
{
    return value.size() >= size ? std::string(value) : std::string(size - value.size(), '\0') + std::string(value);
}

} // namespace

Result<KeyStore::Generated> KeyStore::import(const PrivateKeyParts& key, std::string_view label,
                                             std::string_view locator_wanted)
{
    const Algorithm algorithm = key.algorithm;
    SIGNET_TRY(state_->check_mechanism(algorithm));
    std::string id = SIGNET_TRY(locator_id(locator_wanted));
    const bool rsa = is_rsa(algorithm);
    if (rsa && (key.modulus.empty() || key.public_exponent.empty() || key.private_exponent.empty()))
        return fail(ErrorCode::Policy, "an RSA key needs its modulus and both exponents");
    if (!rsa && (key.private_value.empty() || key.public_key.empty()))
        return fail(ErrorCode::Policy, fmt::format("a {} key needs its private and public values",
                                                   algorithm_to_text(algorithm)));
    Mechanisms m = mechanisms_for(algorithm);
    const bool edwards = algorithm == Algorithm::ED25519 || algorithm == Algorithm::ED448;
    CK_KEY_TYPE type = rsa ? CKK_RSA : edwards ? CKK_EC_EDWARDS : CKK_EC;
    CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY, private_class = CKO_PRIVATE_KEY;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    std::string label_copy(label), params(m.ec_params);
    // The field size: ECDSA points are 0x04 || x || y, EdDSA keys are as long
    // as their private value.
    const size_t point_size = raw_point_size(algorithm);
    std::string point, value;
    if (!rsa) {
        point = der_octet_string(edwards ? key.public_key : "\x04" + key.public_key);
        value = left_padded(key.private_value, edwards ? point_size : (point_size - 1) / 2);
    }
    auto attribute = [](CK_ATTRIBUTE_TYPE type, const std::string& bytes) {
        return CK_ATTRIBUTE { type, const_cast<char*>(bytes.data()), bytes.size() };
    };
    std::vector<CK_ATTRIBUTE> pub {
        { CKA_CLASS, &public_class, sizeof public_class }, { CKA_KEY_TYPE, &type, sizeof type },
        { CKA_TOKEN, &yes, sizeof yes },                   { CKA_PRIVATE, &no, sizeof no },
        { CKA_VERIFY, &yes, sizeof yes },                  attribute(CKA_ID, id),
        attribute(CKA_LABEL, label_copy),
    };
    std::vector<CK_ATTRIBUTE> priv {
        { CKA_CLASS, &private_class, sizeof private_class }, { CKA_KEY_TYPE, &type, sizeof type },
        { CKA_TOKEN, &yes, sizeof yes },                     { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },                 { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },                      attribute(CKA_ID, id),
        attribute(CKA_LABEL, label_copy),
    };
    if (rsa) {
        pub.push_back(attribute(CKA_MODULUS, key.modulus));
        pub.push_back(attribute(CKA_PUBLIC_EXPONENT, key.public_exponent));
        for (auto [type, part] : { std::pair { CKA_MODULUS, &key.modulus },
                                   { CKA_PUBLIC_EXPONENT, &key.public_exponent },
                                   { CKA_PRIVATE_EXPONENT, &key.private_exponent }, { CKA_PRIME_1, &key.prime1 },
                                   { CKA_PRIME_2, &key.prime2 }, { CKA_EXPONENT_1, &key.exponent1 },
                                   { CKA_EXPONENT_2, &key.exponent2 }, { CKA_COEFFICIENT, &key.coefficient } })
            if (!part->empty())
                priv.push_back(attribute(type, *part));
    } else {
        pub.push_back(attribute(CKA_EC_PARAMS, params));
        pub.push_back(attribute(CKA_EC_POINT, point));
        priv.push_back(attribute(CKA_EC_PARAMS, params));
        priv.push_back(attribute(CKA_VALUE, value));
    }
    auto lease = SIGNET_TRY(state_->lease());
    auto* f = state_->f();
    std::string locator = to_hex(id);
    const std::string what = fmt::format("importing a {} key into token '{}'", algorithm_to_text(algorithm), state_->label);
    CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE, priv_handle = CK_INVALID_HANDLE;
    auto undo = [&](Error error) -> Result<Generated> {
        state_->forget(locator);
        for (CK_OBJECT_HANDLE handle : { priv_handle, pub_handle })
            if (handle != CK_INVALID_HANDLE)
                f->C_DestroyObject(lease->session, handle);
        OPENSSL_cleanse(value.data(), value.size());
        return std::unexpected(std::move(error));
    };
    CK_RV rv = f->C_CreateObject(lease->session, pub.data(), pub.size(), &pub_handle);
    if (rv != CKR_OK)
        return undo(p11_error(what, rv));
    rv = f->C_CreateObject(lease->session, priv.data(), priv.size(), &priv_handle);
    OPENSSL_cleanse(value.data(), value.size());
    if (rv != CKR_OK)
        return undo(p11_error(what, rv));
    state_->remember(locator, CKO_PRIVATE_KEY, priv_handle);
    state_->remember(locator, CKO_PUBLIC_KEY, pub_handle);
    // The private half must be as a generated one is: only usable, never readable.
    for (auto [flag, wanted] : { std::pair { CKA_SENSITIVE, CK_TRUE }, { CKA_EXTRACTABLE, CK_FALSE } }) {
        auto held = state_->attribute(lease->session, priv_handle, flag);
        if (!held)
            return undo(held.error());
        if (held->size() != 1 || static_cast<CK_BBOOL>((*held)[0]) != wanted)
            return undo(Error(ErrorCode::Pkcs11, fmt::format("{}: the token did not make the key {}", what,
                                                             flag == CKA_SENSITIVE ? "sensitive" : "non-extractable")));
    }
    auto public_key = state_->public_key(lease->session, pub_handle, locator, algorithm);
    if (!public_key)
        return undo(public_key.error());
    if (auto paired = check_pair(locator, algorithm, *public_key); !paired)
        return undo(paired.error().with_context(what));
    return Generated { std::move(locator), std::move(*public_key) };
}

Result<void> KeyStore::check_pair(std::string_view locator, Algorithm algorithm, std::string_view public_key)
{
    // The token signs, OpenSSL verifies with the public half.
    const std::string probe = "signet: does this private key belong to its public key?";
    auto verifier = SIGNET_TRY(PublicKey::from_dnskey(make_dnskey_rdata(dnskey_flag_zone, algorithm, public_key)));
    auto signature = SIGNET_TRY(sign(locator, algorithm, probe));
    if (!verifier.verify(probe, signature))
        return fail(ErrorCode::Policy, fmt::format("key {}: the private key does not belong to the public key", locator));
    return {};
}

Result<Bytes> KeyStore::public_key(std::string_view locator, Algorithm algorithm)
{
    auto lease = SIGNET_TRY(state_->lease());
    auto handle = state_->lookup(lease->session, locator, CKO_PUBLIC_KEY);
    // A signer that keeps no public objects (OpenDNSSEC's <SkipPublicKey/>)
    // leaves an RSA key's modulus and exponent on its private half.
    if (!handle && handle.error().code() == ErrorCode::NotFound && is_rsa(algorithm))
        handle = state_->lookup(lease->session, locator, CKO_PRIVATE_KEY);
    if (!handle)
        return std::unexpected(handle.error());
    return state_->public_key(lease->session, *handle, locator, algorithm);
}

namespace {

std::atomic<SignatureObserver> signature_observer { nullptr };

} // namespace

void observe_signatures(SignatureObserver observer) { signature_observer.store(observer); }

Result<Bytes> KeyStore::sign(std::string_view locator, Algorithm algorithm, std::string_view data)
{
    Mechanisms m = mechanisms_for(algorithm);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (m.prehash) {
        EVP_Digest(data.data(), data.size(), digest, &digest_length, m.prehash, nullptr);
        data = std::string_view(reinterpret_cast<char*>(digest), digest_length);
    }
    auto lease = SIGNET_TRY(state_->lease());
    CK_OBJECT_HANDLE key = SIGNET_TRY(state_->lookup(lease->session, locator, CKO_PRIVATE_KEY));
    CK_MECHANISM mechanism { m.sign, nullptr, 0 };
    auto* f = state_->f();
    SignatureObserver observer = signature_observer.load(std::memory_order_relaxed);
    const auto started = observer ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point {};
    CK_RV rv = f->C_SignInit(lease->session, &mechanism, key);
    if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
        state_->forget(std::string(locator)); // destroyed by another process
        return std::unexpected(state_->not_found(locator));
    }
    if (rv != CKR_OK)
        return std::unexpected(p11_error(fmt::format("C_SignInit with key {} ({})", locator, algorithm_to_text(algorithm)), rv));
    unsigned char signature[1024];
    CK_ULONG length = sizeof signature;
    rv = f->C_Sign(lease->session, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(data.data())), data.size(),
                   signature, &length);
    if (rv != CKR_OK)
        return std::unexpected(p11_error(fmt::format("C_Sign with key {}", locator), rv));
    if (observer)
        observer(std::chrono::steady_clock::now() - started);
    return Bytes(reinterpret_cast<char*>(signature), length);
}

Result<void> KeyStore::destroy(std::string_view locator)
{
    auto lease = SIGNET_TRY(state_->lease());
    std::vector<CK_OBJECT_HANDLE> halves;
    for (CK_OBJECT_CLASS object_class : { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY }) {
        auto handle = state_->lookup(lease->session, locator, object_class);
        if (handle)
            halves.push_back(*handle);
        else if (handle.error().code() != ErrorCode::NotFound)
            return std::unexpected(handle.error());
    }
    if (halves.empty())
        return std::unexpected(state_->not_found(locator));
    state_->forget(std::string(locator));
    for (CK_OBJECT_HANDLE handle : halves) {
        CK_RV rv = state_->f()->C_DestroyObject(lease->session, handle);
        if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
            return std::unexpected(p11_error(fmt::format("destroying key {}", locator), rv));
    }
    return {};
}

Result<std::vector<std::string>> KeyStore::list()
{
    auto lease = SIGNET_TRY(state_->lease());
    auto handles = SIGNET_TRY(state_->find(lease->session, CKO_PRIVATE_KEY, {}));
    std::vector<std::string> out;
    for (CK_OBJECT_HANDLE handle : handles)
        out.push_back(to_hex(SIGNET_TRY(state_->attribute(lease->session, handle, CKA_ID))));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace signet::crypto::p11
