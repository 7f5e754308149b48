# Writes OUT: a C++ table of every templates/*.mustache file in DIR, so the
# binary carries its templates and --templates DIR only overrides them.
file(GLOB files ${DIR}/*.mustache)
list(SORT files)
set(body "// generated from templates/; do not edit\n#include \"templates_embedded.hpp\"\nnamespace opskit::report {\nconst std::vector<EmbeddedTemplate>& embedded_templates() {\n  static const std::vector<EmbeddedTemplate> all = {\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  file(READ ${f} text)
  string(APPEND body "    {\"${name}\", R\"opskittpl(${text})opskittpl\"},\n")
endforeach()
string(APPEND body "  };\n  return all;\n}\n}  // namespace opskit::report\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
