// Pools the worked example with the installed library and prints it as NumPy would.
#include <imgpool/numpy_print.hpp>
#include <imgpool/pool.hpp>

#include <iostream>

int main() {
    const double cells[] = {2, 3, 4, 2, 8, 5, 5, 1, 6, 7, 9, 4, 3, 1, 4, 5};
    const cv::Mat a(4, 4, CV_64F, const_cast<double*>(cells));
    imgpool::PoolParams p;  // max 2x2, stride 2
    std::cout << imgpool::numpy_str(imgpool::pool(a, p)) << "\n";
}
