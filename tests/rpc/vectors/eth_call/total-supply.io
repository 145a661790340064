// balances.totalSupply() at genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000801","input":"0x18160ddd"},"0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x00000000000000000000000000000000000000000000174b1ca8ab05a8c00000"}
