// a notification (no id) gets no answer
>> {"jsonrpc":"2.0","method":"eth_chainId"}
