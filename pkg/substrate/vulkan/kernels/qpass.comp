#version 450
#extension GL_GOOGLE_include_directive : require
// See qpass.glsl: passes without an array of rows.
#include "qpass.glsl"
