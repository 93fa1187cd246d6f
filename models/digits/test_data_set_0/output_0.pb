
BoutputJ(,~ÀnnÀ¯ÙYÀ
Àóä¿÷Há¿éáe¿Å|nÀLfA„Ìñ¿