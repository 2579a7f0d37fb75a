#include <signet/base/error.h>

#include <fmt/format.h>

namespace signet {

Error& Error::with_context(std::string context)
{
    context_.push_back(std::move(context));
    return *this;
}

Error& Error::at(const SourceLocation& where)
{
    if (!where_) {
        where_ = where;
        return *this;
    }
    if (where_->file.empty())
        where_->file = where.file;
    if (where_->line == 0) {
        where_->line = where.line;
        if (where_->column == 0)
            where_->column = where.column;
    }
    return *this;
}

std::string Error::to_string() const
{
    std::string out;
    if (where_ && !where_->file.empty()) {
        out += where_->file;
        if (where_->line != 0) {
            out += fmt::format(":{}", where_->line);
            if (where_->column != 0)
                out += fmt::format(":{}", where_->column);
        }
        out += ": ";
    }
    for (auto it = context_.rbegin(); it != context_.rend(); ++it)
        out += *it + ": ";
    out += message_;
    return out;
}

} // namespace signet
